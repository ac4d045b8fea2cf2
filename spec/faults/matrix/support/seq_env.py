"""The fault matrix's seq env (spec/faults/matrix/support/seq-env.mjs) written with OpenEnv's own
server API (create_app + Environment), as a user would, to run the matrix against real OpenEnv
servers under uvicorn:

    MATRIX_LEDGER=/tmp/s0.ledger MATRIX_SERVER_ID=s0 uvicorn seq_env:app --host 127.0.0.1 --port 8000

Every observation says what it answers: `echoed_message` (the action's message, `<episode>#<step>`),
`step` (this session's steps since its reset, counted by the server), `server`, `pid`, `conn` (this
process's session number). Every step is appended to the ledger file MATRIX_LEDGER: a message seen
twice over all ledgers is a replayed step. A message starting `hold` is never answered (a step a
fault leaves unknown); `delay<ms>` is answered after <ms>. MAX_CONCURRENT_ENVS (default 2) sessions.
"""

import asyncio
import os
import re
import sys

# openenv.core.env_server imports its Gradio web UI (served only with ENABLE_WEB_INTERFACE=true) and
# falls back when gradio is missing: ~15 s of a loaded machine that changes nothing on the wire.
sys.modules.setdefault("gradio", None)  # type: ignore[arg-type]
from typing import Any, Optional

from openenv.core.env_server import Action, Environment, Observation, State, create_app

SERVER_ID = os.environ.get("MATRIX_SERVER_ID", f"pid{os.getpid()}")
LEDGER = os.environ.get("MATRIX_LEDGER")
_sessions = 0


class SeqAction(Action):
    message: str


class SeqObservation(Observation):
    echoed_message: str
    step: int
    server: str
    pid: int
    conn: int


class SeqEnvironment(Environment):
    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self) -> None:
        super().__init__()
        global _sessions
        _sessions += 1
        self._conn = _sessions
        self._steps = 0
        self._state = State(episode_id=None, step_count=0)

    def _observe(self, message: str, reward: float) -> SeqObservation:
        return SeqObservation(echoed_message=message, step=self._steps, server=SERVER_ID, pid=os.getpid(), conn=self._conn, reward=reward, done=False)

    def reset(self, seed: Optional[int] = None, episode_id: Optional[str] = None, **kwargs: Any) -> SeqObservation:
        self._steps = 0
        self._state = State(episode_id=episode_id, step_count=0)
        return self._observe(f"reset:{episode_id or ''}", 0.0)

    def _record(self, action: SeqAction) -> None:
        self._steps += 1
        self._state.step_count = self._steps
        if LEDGER:
            with open(LEDGER, "a") as ledger:
                ledger.write(action.message + "\n")

    def step(self, action: SeqAction, timeout_s: Optional[float] = None, **kwargs: Any) -> SeqObservation:
        self._record(action)
        return self._observe(action.message, 1.0)

    # Async, so that a held or delayed step waits on the event loop, not in a worker thread.
    async def step_async(self, action: SeqAction, timeout_s: Optional[float] = None, **kwargs: Any) -> SeqObservation:
        self._record(action)
        if action.message.startswith("hold"):
            await asyncio.Event().wait()
        delay = re.match(r"delay(\d+)", action.message)
        if delay:
            await asyncio.sleep(int(delay.group(1)) / 1000)
        return self._observe(action.message, 1.0)

    @property
    def state(self) -> State:
        return self._state


app = create_app(SeqEnvironment, SeqAction, SeqObservation, env_name="seq", max_concurrent_envs=int(os.environ.get("MAX_CONCURRENT_ENVS", "2")))
