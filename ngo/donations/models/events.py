"""Events a payment provider sent us, by the provider's id: the webhook's memory of what it has
already handled, so a replayed or retried event changes nothing. Written in the same
transaction as what the event did; an event whose handling failed is not recorded, and the
provider's retry handles it again. Holds the event's id and type only: no payload, no address,
no card detail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ngo.extensions import Model
from ngo.timeutil import utcnow


class ProviderEvent(Model):
    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
