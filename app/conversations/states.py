"""The conversation state machine, in one place.

    open  --take_over-->           human    (a person answers; the assistant stays silent)
    human --return_to_assistant--> open
    any   --opt_out-->             blocked  (the customer texted STOP; nothing more is sent)
    blocked --opt_in-->            open     (START / UNSTOP / YES while opted out)
    open|human --auto_close-->     closed   (inactive for AUTO_CLOSE_AFTER on the tenant clock)

Every change goes through `apply()`. A trigger that is not allowed from the current state raises
`IllegalTransition` (a 409 with a sentence a person can read) and is logged as unexpected; triggers
that leave the state as it is (taking over twice) are allowed no-ops, so double clicks are harmless.
"""

from __future__ import annotations

import enum
import logging
from datetime import timedelta

from app.errors import Conflict

log = logging.getLogger("app.conversations.states")

AUTO_CLOSE_AFTER = timedelta(hours=24)


class State(enum.StrEnum):
    OPEN = "open"
    HUMAN = "human"
    BLOCKED = "blocked"
    CLOSED = "closed"


class Trigger(enum.StrEnum):
    TAKE_OVER = "take_over"
    RETURN_TO_ASSISTANT = "return_to_assistant"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    AUTO_CLOSE = "auto_close"


# (current state, trigger) -> next state. Anything missing is illegal.
TRANSITIONS: dict[tuple[State, Trigger], State] = {
    (State.OPEN, Trigger.TAKE_OVER): State.HUMAN,
    (State.HUMAN, Trigger.TAKE_OVER): State.HUMAN,
    (State.HUMAN, Trigger.RETURN_TO_ASSISTANT): State.OPEN,
    (State.OPEN, Trigger.RETURN_TO_ASSISTANT): State.OPEN,
    (State.OPEN, Trigger.OPT_OUT): State.BLOCKED,
    (State.HUMAN, Trigger.OPT_OUT): State.BLOCKED,
    (State.CLOSED, Trigger.OPT_OUT): State.BLOCKED,
    (State.BLOCKED, Trigger.OPT_OUT): State.BLOCKED,
    (State.BLOCKED, Trigger.OPT_IN): State.OPEN,
    (State.OPEN, Trigger.OPT_IN): State.OPEN,
    (State.HUMAN, Trigger.OPT_IN): State.HUMAN,
    (State.OPEN, Trigger.AUTO_CLOSE): State.CLOSED,
    (State.HUMAN, Trigger.AUTO_CLOSE): State.CLOSED,
}

# Why a trigger is refused, in words for the person who pressed the button.
_REFUSALS: dict[State, str] = {
    State.BLOCKED: "the customer opted out by texting STOP",
    State.CLOSED: "the conversation is closed",
    State.OPEN: "the assistant is answering this conversation",
    State.HUMAN: "a person has taken over this conversation",
}


class IllegalTransition(Conflict):
    default_code = "illegal_transition"


def next_state(current: str, trigger: Trigger) -> State:
    """The state after `trigger`, or IllegalTransition (logged) when the table does not allow it."""
    state = State(current)
    try:
        return TRANSITIONS[(state, trigger)]
    except KeyError:
        log.warning("unexpected conversation transition refused: %s from %s", trigger.value, state.value,
                    extra={"trigger": trigger.value, "state": state.value})
        action = trigger.value.replace("_", " ")
        raise IllegalTransition(f"Can't {action} now: {_REFUSALS[state]}.",
                                extra={"state": state.value, "trigger": trigger.value}) from None
