"""코드 블록의 색: 만들어진 그대로이고, 모든 토큰 색이 배경과 4.5:1 이상이다 (axe의 color-contrast)."""

import re
from pathlib import Path

from chat.management.commands.code_css import STYLES, build, contrast, readable

CODE_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "code.css"


def test_the_committed_file_is_what_the_command_writes():
    assert CODE_CSS.read_text() == build()


def test_every_token_colour_is_readable_on_its_background():
    css = CODE_CSS.read_text()
    for media, _style, background in STYLES:
        block = css.split(f"prefers-color-scheme: {media}")[1].split("}\n")[0]
        colours = re.findall(r"(?<![-\w])color: #([0-9A-F]{6})", block)
        assert len(colours) > 30
        for colour in colours:
            assert contrast(colour, background.lstrip("#")) >= 4.5, (media, colour)


def test_a_pale_colour_is_darkened_on_a_light_background_and_kept_when_fine():
    assert contrast(readable("BBBBBB", "f6f7fb").lstrip("#"), "f6f7fb") >= 4.5
    assert readable("000000", "ffffff") == "#000000"
