"""static/css/code.css를 다시 만든다: Pygments의 밝은·어두운 스타일에서 토큰 색만, 대비는 WCAG AA로 맞춰서.

색은 사람이 고른 테마(<html data-theme>)를 따르고, "기기와 같이"면 기기의 설정을 따른다.

코드 블록의 글자도 글이다: 배경과 4.5:1이 안 되는 색은 읽을 수 있을 때까지 어둡게(밝은 테마) 또는
밝게(어두운 테마) 고친다. 스타일을 바꾸려면 STYLES를 고치고 이 명령을 다시 돌린다.
"""

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from pygments.formatters import HtmlFormatter

# (미디어, Pygments 스타일, 코드 블록 배경 = app.css의 --bg)
STYLES = [("light", "default", "#f6f7fb"), ("dark", "github-dark", "#14161b")]
MIN_CONTRAST = 4.5
HEADER = """/* Pygments 토큰 색: chat/markdown.py가 만드는 pre.code 안에서만 쓴다.
   손으로 고치지 말 것: `python manage.py code_css`가 만든다 (chat/management/commands/code_css.py).
   배경은 부모 테마를 따르고, 글자색은 그 배경과 4.5:1 이상이 되게 고쳐져 있다.
*/
"""


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, two: str) -> float:
    high, low = sorted([_luminance(one), _luminance(two)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def _expand(color: str) -> str:
    color = color.lstrip("#")
    return "".join(c * 2 for c in color) if len(color) == 3 else color


def readable(color: str, background: str) -> str:
    """배경과 MIN_CONTRAST가 될 때까지 검정(밝은 배경) 또는 흰색(어두운 배경) 쪽으로 섞는다."""
    color, background = _expand(color), _expand(background)
    target = "000000" if _luminance(background) > 0.5 else "ffffff"
    mixed = color
    for step in range(21):
        share = step / 20
        mixed = "".join(
            f"{round(int(color[i : i + 2], 16) * (1 - share) + int(target[i : i + 2], 16) * share):02x}"
            for i in (0, 2, 4)
        )
        if contrast(mixed, background) >= MIN_CONTRAST:
            break
    return f"#{mixed.upper()}"


def _rules(style: str, background: str, prefix: str) -> list[str]:
    rules = HtmlFormatter(style=style).get_token_style_defs(prefix)
    return [
        re.sub(
            r"(?<![-\w])color: #([0-9A-Fa-f]{3,6})",
            lambda match: f"color: {readable(match.group(1), background.lstrip('#'))}",
            rule,
        )
        for rule in rules
    ]


def build() -> str:
    """테마마다 두 블록: 기기를 따르는 사람(미디어 쿼리)과 그 색을 고른 사람(<html data-theme>, app.css와 같다)."""
    blocks = [HEADER]
    for media, style, background in STYLES:
        other = "dark" if media == "light" else "light"
        following = _rules(style, background, f':root:not([data-theme="{other}"]) .code')
        blocks.append(
            f"@media (prefers-color-scheme: {media}) {{\n  " + "\n  ".join(following) + "\n}\n"
        )
    for media, style, background in STYLES:
        chosen = _rules(style, background, f':root[data-theme="{media}"] .code')
        blocks.append("\n".join(chosen) + "\n")
    return "\n".join(blocks)


class Command(BaseCommand):
    help = (
        "Regenerate static/css/code.css from Pygments with WCAG AA contrast for every token colour."
    )

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / "static" / "css" / "code.css"
        path.write_text(build())
        self.stdout.write(f"wrote {path.relative_to(settings.BASE_DIR)}")
