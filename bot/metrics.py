"""Prometheus metrics with no personal data: counts and durations only."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import stats as stats_store


class Metrics:
    """One registry per process (not the global one), so tests can run several bots."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter("intake_updates_handled", "Updates handled", registry=self.registry)
        self.errors = Counter(
            "intake_update_errors", "Updates whose handling failed", registry=self.registry
        )
        self.web_requests = Counter(
            "intake_web_requests", "Web door requests answered, by page and status class",
            ["page", "status"], registry=self.registry,
        )  # fmt: skip
        self.in_flight = Gauge(
            "intake_updates_in_flight", "Updates being handled now (a backlog shows here first)",
            registry=self.registry,
        )  # fmt: skip
        self.cases = Gauge("intake_cases", "Cases by status", ["status"], registry=self.registry)
        self.queue_length = Gauge(
            "intake_queue_length", "Cases waiting for a volunteer", registry=self.registry
        )
        self.oldest_waiting = Gauge(
            "intake_oldest_waiting_seconds", "Age of the oldest waiting case",
            registry=self.registry,
        )  # fmt: skip
        self.first_reply = Gauge(
            "intake_first_reply_median_seconds", "Median time to a volunteer's first reply",
            registry=self.registry,
        )  # fmt: skip

    def updates_in_flight(self) -> float:
        return self.registry.get_sample_value("intake_updates_in_flight") or 0.0

    async def refresh(self, lookups: async_sessionmaker[AsyncSession]) -> None:
        async with lookups() as db:  # a scrape never waits for a submission
            stats = await stats_store.desk_stats(db)
        for status in ("waiting", "taken", "closed"):
            self.cases.labels(status=status).set(getattr(stats, status))
        self.queue_length.set(stats.waiting)
        age = stats.oldest_waiting_age
        self.oldest_waiting.set(age.total_seconds() if age is not None else 0)
        median = stats.median_first_reply
        self.first_reply.set(median.total_seconds() if median is not None else 0)
