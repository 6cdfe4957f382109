"""Sending alert events: each delivery (email, webhook) is claimed by a conditional UPDATE,
sent, and its outcome recorded (healthchecks' Flip claim, per channel).

Two workers handed the same event send it once: only the one whose UPDATE matched the unsent,
unclaimed row sends. A worker that dies between sending and recording leaves a claim that
expires after ``CLAIM_LEASE``; the delivery is then tried again (at least once at the SMTP
boundary: a mail server cannot take part in our transaction).
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from finops import emails
from finops.models import AlertDelivery, AlertEvent

WEBHOOK_TIMEOUT_S = 10
# Errors worth retrying: SMTP errors, refused or reset connections, timeouts, DNS and HTTP
# errors are all OSError subclasses (smtplib.SMTPException, urllib.error.URLError included).
RETRYABLE = (OSError,)


class DeliveryError(OSError):
    """Some deliveries of an event failed; each failure is recorded on its row."""


def send_event(event_id: int) -> int:
    """Send every unsent delivery of an event that this worker can claim; returns how many it
    sent. Raises ``DeliveryError`` (retryable) when one failed, after trying the others."""
    event = AlertEvent.objects.select_related("budget__project").filter(pk=event_id).first()
    if event is None:  # its budget was deleted since: nothing to send
        return 0
    sent, failures = 0, []
    for delivery in event.deliveries.unsent().order_by("pk"):
        now = timezone.now()
        if not _claim(delivery.pk, now):
            continue  # another worker holds it, or sent it a moment ago
        try:
            _SENDERS[delivery.channel](event, delivery)
        except RETRYABLE as exc:
            _release(delivery.pk, f"{type(exc).__name__}: {exc}")
            failures.append(f"{delivery.channel}: {exc}")
        else:
            AlertDelivery.objects.filter(pk=delivery.pk).update(
                sent_at=timezone.now(), claimed_at=None, last_error=""
            )
            sent += 1
    if failures:
        raise DeliveryError(f"alert event {event_id}: " + "; ".join(failures))
    return sent


def _claim(delivery_id: int, now: datetime) -> bool:
    claimed = (
        AlertDelivery.objects.claimable(now)
        .filter(pk=delivery_id)
        .update(claimed_at=now, last_attempt_at=now, attempts=F("attempts") + 1)
    )
    return claimed == 1


def _release(delivery_id: int, error: str) -> None:
    AlertDelivery.objects.filter(pk=delivery_id).update(claimed_at=None, last_error=error[:2000])


def _send_email(event: AlertEvent, delivery: AlertDelivery) -> None:
    to = [address.strip() for address in delivery.target.split(",") if address.strip()]
    emails.message_for(event, to).send(fail_silently=False)


def _send_webhook(event: AlertEvent, delivery: AlertDelivery) -> None:
    body = json.dumps(emails.webhook_payload(event)).encode()
    request = urllib.request.Request(
        delivery.target,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "llm-finops alerts"},
    )
    # A non-2xx answer raises urllib.error.HTTPError (an OSError): retried like SMTP errors.
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:
        response.read()


_SENDERS = {
    AlertDelivery.Channel.EMAIL: _send_email,
    AlertDelivery.Channel.WEBHOOK: _send_webhook,
}
