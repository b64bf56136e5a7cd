"""The log of the bot's calls and the faults a test injects into its next calls."""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, replace

from localapi.methods import METHODS
from localapi.models import ApiCall, FaultKind
from localapi.world import World


@dataclass
class Fault:
    kind: FaultKind
    retry_after: int
    hold: float | None


class CallsAndFaults(World):
    """Every call recorded as it arrives; faults queued per method, taken one per call."""

    _faults: dict[str, deque[Fault]]
    _calls: deque[ApiCall]

    def record_call(self, call: ApiCall) -> ApiCall:
        with self.cond:
            self._calls.append(call)
            self._touch()
            return call

    def finish_call(
        self, call: ApiCall, *, status: int, applied: bool, error: str | None = None
    ) -> None:
        with self.cond:
            call.status = status
            call.applied = applied
            call.error = error
            self._touch()

    def calls(self, method: str | None = None) -> list[ApiCall]:
        wanted = method.lower() if method else None
        with self.cond:
            return [
                replace(call, params=copy.deepcopy(call.params), files=dict(call.files))
                for call in self._calls
                if wanted is None or call.method.lower() == wanted
            ]

    def inject_fault(
        self, method: str, kind: FaultKind, *, times: int, retry_after: int, hold: float | None
    ) -> None:
        canonical = METHODS.get(method.lower())
        if canonical is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        if kind not in ("429", "500", "timeout", "timeout_after_apply"):
            raise ValueError(f"unknown fault kind {kind!r}")
        with self.cond:
            queue = self._faults.setdefault(canonical, deque())
            queue.extend(Fault(kind, retry_after, hold) for _ in range(times))

    def pop_fault(self, method: str) -> Fault | None:
        with self.cond:
            queue = self._faults.get(method)
            return queue.popleft() if queue else None
