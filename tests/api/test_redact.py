from cosmos3_eval.api.redact import redact_argv, redact_text, redact_url, redact_value


def test_userinfo_and_secret_query_values_are_redacted():
    url = "http://user:KEY@127.0.0.1:8000/v1?api_key=SECRET&x=1&sig=S2&access_token=T"
    out = redact_url(url)
    assert "KEY" not in out.replace("api_key", "") and "SECRET" not in out
    assert "S2" not in out and "=T" not in out
    assert out.startswith("http://REDACTED@127.0.0.1:8000/v1?") and "x=1" in out


def test_plain_values_are_unchanged():
    assert redact_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    assert redact_url("not a url") == "not a url"
    assert redact_text("no urls here, a=b") == "no urls here, a=b"


def test_text_argv_and_nested_values():
    text = "failed: Max retries exceeded with url: /info?token=abc&n=2 (see http://a:b@h/p)"
    out = redact_text(text)
    assert "abc" not in out and "a:b@" not in out and "n=2" in out
    argv = ["run", "--model-args", "base_url=http://u:K@h:1/v1?key=S,model=m"]
    assert redact_argv(argv)[2] == "base_url=http://REDACTED@h:1/v1?key=REDACTED,model=m"
    assert redact_value({"a": ["http://u:K@h/"]}) == {"a": ["http://REDACTED@h/"]}
