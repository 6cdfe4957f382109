"""Message content in the shapes no captured fixture covers: older semconv indexed keys, span
events, the Vercel AI SDK, tool calls, OpenInference raw values, Python-repr log values; and
``searchable_text``'s bound. Keys are spelled out (see _helpers.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.conventions.content import Message, extract_content, messages_of, searchable_text

SYSTEM = Message("system", "Be brief.")
USER = Message("user", "Hello?")
ASSISTANT = Message("assistant", "Hi.")


def test_older_indexed_prompt_and_completion_keys_are_read():
    attributes = {
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "Be brief.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Hello?",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "Hi.",
    }

    content = extract_content(attributes)

    assert content.input == (SYSTEM, USER)
    assert content.output == (ASSISTANT,)
    assert (content.input_source, content.output_source) == (
        "gen_ai.prompt.N",
        "gen_ai.completion.N",
    )


def test_indexed_messages_sort_numerically_past_nine():
    attributes = {f"gen_ai.prompt.{i}.content": f"m{i}" for i in (10, 2, 1)}

    assert [m.text for m in extract_content(attributes).input] == ["m1", "m2", "m10"]


CALL = "llm.output_messages.0.message.tool_calls.0.tool_call.function"


def test_indexed_tool_calls_are_shown_as_name_and_arguments():
    attributes = {
        "llm.output_messages.0.message.role": "assistant",
        f"{CALL}.name": "get_weather",
        f"{CALL}.arguments": '{"city":"Paris"}',
    }

    assert extract_content(attributes).output == (
        Message("assistant", 'get_weather({"city":"Paris"})'),
    )


def test_span_events_carry_messages_and_choice():
    events = [
        {"name": "gen_ai.system.message", "attributes": {"content": "Be brief."}},
        {"name": "gen_ai.user.message", "attributes": {"content": "Hello?"}},
        {"name": "gen_ai.choice", "attributes": {"index": 0, "message": {"content": "Hi."}}},
    ]

    content = extract_content({}, events)

    assert (content.input, content.output) == ((SYSTEM, USER), (ASSISTANT,))
    assert content.input_source == content.output_source == "span events"


def test_older_content_events_carry_json_prompt_and_completion():
    events = [
        {
            "name": "gen_ai.content.prompt",
            "attributes": {"gen_ai.prompt": json.dumps([{"role": "user", "content": "Hello?"}])},
        },
        {"name": "gen_ai.content.completion", "attributes": {"gen_ai.completion": "Hi."}},
    ]

    content = extract_content({}, events)

    assert (content.input, content.output) == ((USER,), (ASSISTANT,))


def test_attributes_win_over_events_and_logs():
    events = [{"name": "gen_ai.user.message", "attributes": {"content": "from event"}}]
    logs = [{"event_name": "gen_ai.choice", "body": {"message": {"content": "from log"}}}]
    attributes = {"gen_ai.input.messages": json.dumps([{"role": "user", "content": "Hello?"}])}

    content = extract_content(attributes, events, logs)

    assert content.input == (USER,)
    assert content.output == (Message("assistant", "from log"),)


def test_log_values_written_as_python_repr_are_read():
    details = {
        "gen_ai.input.messages": "[{'role': 'user', 'parts': [{'content': 'Hello?'}]}]",
        "gen_ai.output.messages": "[{'role': 'assistant', 'parts': [{'content': 'Hi.'}]}]",
    }
    logs = [
        {
            "event_name": "gen_ai.client.inference.operation.details",
            "body": "",
            "attributes": details,
        }
    ]

    content = extract_content({}, (), logs)

    assert (content.input, content.output) == ((USER,), (ASSISTANT,))


@pytest.mark.parametrize(
    ("attributes", "expected_input"),
    [
        ({"ai.prompt": json.dumps({"system": "Be brief.", "prompt": "Hello?"})}, (SYSTEM, USER)),
        (
            {
                "ai.prompt.messages": json.dumps(
                    [
                        {"role": "system", "content": "Be brief."},
                        {"role": "user", "content": [{"type": "text", "text": "Hello?"}]},
                    ]
                )
            },
            (SYSTEM, USER),
        ),
        ({"ai.prompt": json.dumps({"messages": [{"role": "user", "content": "Hello?"}]})}, (USER,)),
    ],
)
def test_vercel_ai_sdk_prompt_shapes_are_read(attributes, expected_input):
    assert extract_content(attributes).input == expected_input


def test_vercel_ai_sdk_answer_includes_tool_calls():
    calls = [{"toolCallType": "function", "toolName": "search", "args": '{"q":"x"}'}]
    attributes = {"ai.response.text": "Hi.", "ai.response.toolCalls": json.dumps(calls)}

    assert extract_content(attributes).output == (Message("assistant", 'Hi.\nsearch({"q":"x"})'),)


def test_openinference_raw_values_are_the_last_resort():
    request = {"model": "m", "messages": [{"role": "user", "content": "Hello?"}]}
    response = {"choices": [{"message": {"role": "assistant", "content": "Hi."}}]}
    attributes = {"input.value": json.dumps(request), "output.value": json.dumps(response)}

    content = extract_content(attributes)

    assert (content.input, content.output) == ((USER,), (ASSISTANT,))
    assert (content.input_source, content.output_source) == ("input.value", "output.value")


def test_plain_text_value_is_one_message():
    content = extract_content({"input.value": "Hello?", "output.value": "Hi."})

    assert (content.input, content.output) == ((USER,), (ASSISTANT,))


def test_openai_assistant_tool_call_message_is_kept():
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "1", "function": {"name": "lookup", "arguments": "{}"}}],
    }

    assert messages_of([message], "user") == [Message("assistant", "lookup({})")]


def test_semconv_tool_call_response_part_shows_its_response():
    parts = [{"role": "tool", "parts": [{"type": "tool_call_response", "response": "42"}]}]

    assert messages_of(json.dumps(parts), "user") == [Message("tool", "42")]


def test_span_without_content_is_empty():
    content = extract_content({"gen_ai.request.model": "gpt-4o"}, [{"name": "exception"}])

    assert content.is_empty
    assert searchable_text({"gen_ai.request.model": "gpt-4o"}) == ""


def test_searchable_text_puts_question_before_system_prompt_and_collapses_whitespace():
    attributes = {
        "gen_ai.input.messages": json.dumps(
            [{"role": "system", "content": "Be\n\n brief."}, {"role": "user", "content": "Hello?"}]
        ),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "content": "Hi."}]),
    }

    assert searchable_text(attributes) == "Hello? Be brief. Hi."


def test_searchable_text_keeps_half_its_bound_for_the_answer():
    attributes = {"input.value": "q" * 5000, "output.value": "a" * 5000}

    text = searchable_text(attributes, limit=100)

    assert len(text) == 100
    assert text.count("a") == 50
    assert text.count("q") == 49


def test_searchable_text_gives_a_short_answer_room_to_the_prompt():
    text = searchable_text({"input.value": "q" * 500, "output.value": "Hi."}, limit=100)

    assert text == "q" * 96 + " Hi."


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "role",
                    "content",
                    "parts",
                    "text",
                    "message",
                    "messages",
                    "choices",
                    "output",
                    "input",
                    "type",
                    "function",
                    "tool_calls",
                    "prompt",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(value=json_values)
def test_any_json_shape_never_raises(value):
    attributes = {
        "gen_ai.input.messages": json.dumps(value),
        "langfuse.observation.output": json.dumps(value),
        "ai.response.toolCalls": json.dumps(value),
    }
    events = [{"name": "gen_ai.choice", "attributes": value if isinstance(value, dict) else {}}]

    content = extract_content(
        attributes, events, [{"event_name": "gen_ai.user.message", "body": value}]
    )

    assert all(isinstance(m.text, str) and m.text for m in content.input + content.output)
    assert len(searchable_text(attributes, limit=50)) <= 50
