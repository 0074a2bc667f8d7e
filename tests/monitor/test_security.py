import os
import stat

import pytest

from glassbox.monitor.security import (
    RateLimiter,
    bearer_token,
    load_or_create_token,
    sanitize_metric_name,
    tokens_match,
    validate_metric_name,
    validate_run_id,
    validate_run_name,
)


def test_token_is_created_once_with_owner_only_permissions(tmp_path):
    path = str(tmp_path / "db-dir" / "monitor-token")
    token, created = load_or_create_token(path)
    assert created and len(token) >= 40
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_token(path) == (token, False)
    assert load_or_create_token(str(tmp_path / "other"))[0] != token


def test_token_comparison_and_header_parsing():
    assert tokens_match("abc", "abc") and not tokens_match("abd", "abc") and not tokens_match("", "abc")
    assert not tokens_match(None, "abc") and not tokens_match("abcd", "abc")
    assert bearer_token("Bearer xyz") == "xyz" and bearer_token("bearer  xyz ") == "xyz"
    assert bearer_token("Basic xyz") is None and bearer_token(None) is None


def test_names():
    assert validate_run_name("<script>alert(1)</script>") == "<script>alert(1)</script>"  # shown as text
    assert validate_run_name("résumé — 2") == "résumé — 2"
    for bad in ("", "x" * 201, "a\nb", "a\x1b[31m", 7):
        with pytest.raises(ValueError):
            validate_run_name(bad)
    assert validate_metric_name("system/cpu_percent") == "system/cpu_percent"
    for bad in ("", "a b", "<b>", "x" * 129, "loss;", None):
        with pytest.raises(ValueError):
            validate_metric_name(bad)
    assert sanitize_metric_name("epoch/<lambda>") == "epoch/_lambda_"
    assert validate_run_id("3f2c_a-9") == "3f2c_a-9"
    with pytest.raises(ValueError, match="run id"):
        validate_run_id("../x")


def test_rate_limiter_refills_at_its_rate():
    limiter = RateLimiter(rate=2, burst=3)
    assert [limiter.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", now=0.0), "clients have their own buckets"
    assert not limiter.allow("a", now=0.25) and limiter.allow("a", now=0.5)
    assert limiter.retry_after("a") == pytest.approx(0.5)
    assert RateLimiter(rate=0).allow("a")
