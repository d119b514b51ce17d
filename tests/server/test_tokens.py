from __future__ import annotations

import pytest

from rooms.activity import RATING_WINDOW
from rooms.errors import ResumeExpired, TokenExpired, TokenInvalid, TokenMissing
from rooms.roles import Role
from server.tokens import (
    RESUME_LIFETIME,
    JoinClaims,
    issue_join_token,
    issue_resume_token,
    verify_join_token,
    verify_resume_token,
)

SECRET = b"k" * 32
CLAIMS = JoinClaims(session_id="s1", role=Role.MENTEE, name="Ana", issued_at=100, expires_at=200)


def test_round_trip() -> None:
    token = issue_join_token(SECRET, CLAIMS)
    assert verify_join_token(SECRET, token, now=150) == CLAIMS
    anonymous = JoinClaims("s1", Role.OBSERVER, None, 100, 200)
    assert verify_join_token(SECRET, issue_join_token(SECRET, anonymous), 150).name is None


def test_expiry_is_exclusive() -> None:
    token = issue_join_token(SECRET, CLAIMS)
    with pytest.raises(TokenExpired):
        verify_join_token(SECRET, token, now=200)


@pytest.mark.parametrize("bad", ["x", "a.b.c", "....", "é.é", "a" * 5000])
def test_malformed_tokens(bad: str) -> None:
    with pytest.raises(TokenInvalid):
        verify_join_token(SECRET, bad, now=150)


@pytest.mark.parametrize("missing", [None, ""])
def test_missing_token(missing: str | None) -> None:
    with pytest.raises(TokenMissing):
        verify_join_token(SECRET, missing, now=150)


def test_wrong_secret_and_tampering_are_refused() -> None:
    token = issue_join_token(SECRET, CLAIMS)
    with pytest.raises(TokenInvalid):
        verify_join_token(b"o" * 32, token, now=150)
    body, mac = token.split(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    with pytest.raises(TokenInvalid):
        verify_join_token(SECRET, f"{flipped}.{mac}", now=150)


def test_resume_and_join_tokens_are_not_interchangeable() -> None:
    resume = issue_resume_token(SECRET, "s1", "p1", now=150)
    assert verify_resume_token(SECRET, resume, "s1", now=150) == "p1"
    assert verify_resume_token(SECRET, resume, "s2", now=150) is None
    with pytest.raises(TokenInvalid):
        verify_join_token(SECRET, resume, now=150)
    assert verify_resume_token(SECRET, issue_join_token(SECRET, CLAIMS), "s1", now=150) is None
    assert verify_resume_token(SECRET, "junk", "s1", now=150) is None


def test_a_resume_token_expires_after_its_lifetime_or_the_rating_window_after_the_end() -> None:
    resume = issue_resume_token(SECRET, "s1", "p1", now=1000)
    assert verify_resume_token(SECRET, resume, "s1", now=1000 + RESUME_LIFETIME - 1) == "p1"
    with pytest.raises(ResumeExpired):
        verify_resume_token(SECRET, resume, "s1", now=1000 + RESUME_LIFETIME)
    ended = 2000.0
    assert verify_resume_token(SECRET, resume, "s1", now=ended + RATING_WINDOW - 1,
                               session_ended_at=ended) == "p1"
    with pytest.raises(ResumeExpired) as refused:
        verify_resume_token(SECRET, resume, "s1", now=ended + RATING_WINDOW,
                            session_ended_at=ended)
    assert refused.value.code == "resume_expired"


def test_a_personal_link_carries_its_person_id_and_names_them_by_it() -> None:
    claims = JoinClaims("s1", Role.MENTEE, "Ana", 100, 200, person_id="stu-7")
    back = verify_join_token(SECRET, issue_join_token(SECRET, claims), 150)
    assert back == claims and back.link is not None and back.link.endswith("stu-7")
    assert verify_join_token(SECRET, issue_join_token(SECRET, CLAIMS), 150).link == "Ana"
