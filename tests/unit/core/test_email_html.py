"""Email HTML: sanitised, measured against a budget, simplified where Qt is slow, and cut
into well-formed pieces."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.email_html import (
    DEFAULT_BUDGET,
    FULL_MESSAGE,
    plain_text,
    prepare_email,
    split_blocks,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "email"


def test_scripts_styles_handlers_and_remote_resources_are_removed() -> None:
    prepared = prepare_email(
        '<p onclick="steal()">Hi <a href="javascript:alert(1)">x</a> '
        '<a href="https://ok.example/a">ok</a></p><script>alert(2)</script>'
        "<style>p{color:red}</style>"
        '<img src="http://tracker.example/t.gif"><img src="data:image/png;base64,AAAA">'
        '<div style="background:url(http://x.example/bg.png)">bg</div>'
        '<iframe src="https://evil.example"></iframe><form><input name="pw"></form>'
    )
    assert prepared.html is not None
    html = prepared.html
    for gone in ("onclick", "javascript:", "<script", "alert", "<style", "tracker", "<iframe",
                 "x.example", "<form", "<input"):  # fmt: skip
        assert gone not in html
    assert 'href="https://ok.example/a"' in html
    assert 'src="data:image/png;base64,AAAA"' in html
    assert prepared.remote_images == 2
    assert prepared.over_budget is None


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ("<p>x</p>" * 40_000, "KB of HTML"),
        ("<b>x</b>" * 3_000, "3,000 HTML elements"),
        ('x<img src="data:image/png;base64,AA">' * 50, "50 images"),
    ],
)
def test_a_body_beyond_the_budget_is_text_with_the_reason(markup: str, reason: str) -> None:
    prepared = prepare_email(markup)
    assert prepared.html is None
    assert prepared.over_budget is not None and reason in prepared.over_budget
    assert prepared.text.startswith("x")


def test_the_text_fallback_is_cut_at_the_budget_and_says_so() -> None:
    prepared = prepare_email("<p>" + "word " * 20_000 + "</p>" + "<i>a</i>" * 3_000)
    assert prepared.html is None
    assert prepared.text_cut and len(prepared.text) <= DEFAULT_BUDGET.max_text_chars + 1
    assert prepared.text.endswith("…")


def test_deep_nesting_is_unwrapped_and_deep_tables_become_blocks() -> None:
    deep = "<div>" * 100 + "core" + "</div>" * 100
    prepared = prepare_email(deep, FULL_MESSAGE)
    assert prepared.html is not None and "core" in prepared.html
    assert prepared.depth == FULL_MESSAGE.max_depth
    assert prepared.html.count("<div>") == FULL_MESSAGE.max_depth
    nested = "<table><tr><td>" * 6 + "cell" + "</td></tr></table>" * 6
    tables = prepare_email(nested).html
    assert tables is not None and "cell" in tables
    assert tables.count("<table") == DEFAULT_BUDGET.max_table_depth


def test_plain_text_keeps_block_breaks_and_decodes_entities() -> None:
    text, cut = plain_text("<p>Caf&eacute; &amp; bar</p><p>next&nbsp;line</p><br>end")
    assert text == "Café & bar\nnext line\n\nend" or text == "Café & bar\nnext line\nend"
    assert not cut


def test_pieces_are_well_formed_and_keep_everything_in_order() -> None:
    markup = prepare_email(
        "<p>intro</p>"
        + "<table>"
        + "".join(f"<tr><td>r{i}</td></tr>" for i in range(300))
        + "</table>"
        + "<p>outro</p>",
        FULL_MESSAGE,
    ).html
    assert markup is not None
    pieces = split_blocks(markup, 100)
    assert len(pieces) > 3
    joined = plain_text("".join(pieces))[0]
    assert joined.startswith("intro") and joined.endswith("outro")
    assert [f"r{i}" for i in range(300)] == [w for w in joined.split() if w.startswith("r")]
    for piece in pieces:
        assert piece.count("<td>") == piece.count("</td>")


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.html")), ids=lambda p: p.stem)
def test_real_newsletters_fit_the_budget_and_keep_their_text(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    prepared = prepare_email(raw)
    assert prepared.html is not None, prepared.over_budget
    assert prepared.remote_images > 0
    assert len(prepared.text) > 200
    assert "http://" not in prepared.html.split("href=")[0]  # no remote image address kept
