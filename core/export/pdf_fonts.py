"""Fonts for the PDF report: names in any script must print.

Choice (no font file ships with DoseTrail):

1. The main text font is the first wide-coverage TrueType font found on the
   system (DejaVu Sans on Linux, Arial/Segoe UI on Windows, Arial Unicode or
   Arial on macOS, Noto Sans, Liberation Sans). It is embedded (subset) in
   the PDF, so the file prints the same everywhere.
2. Characters the main font lacks (Japanese, Chinese, Korean names ...) are
   set in a system CJK TrueType font when one is found, embedded (subset) as
   well: first the known file names (IPA Gothic, Droid Sans Fallback, MS
   Gothic, Microsoft YaHei, ...), then, where fontconfig is installed, any
   TrueType font ``fc-list :lang=ja`` (then ``zh``, ``ko``) reports.
   reportlab embeds TrueType outlines only: CFF fonts such as Noto Sans CJK
   are skipped.
3. Without such a font, CJK runs use reportlab's built-in Adobe CID fonts
   (HeiseiKakuGo-W5, STSong-Light, HYGothic-Medium). These are *not*
   embedded: the PDF viewer must supply the glyphs. Acrobat with its Asian
   font pack, macOS Preview and viewers on systems with CJK fonts do; others
   show empty boxes. The text itself is right (copy, search and text
   extraction work). :attr:`ReportFonts.cid_used` records that a report
   needed them, and the report then says so in a note.
4. Without any TrueType font: Helvetica (cp1252 covers Western European
   accents); other characters are transliterated (accents stripped by
   Unicode decomposition) or, failing that, replaced by ``?``.

:func:`markup` turns user text into reportlab paragraph markup with the
right font per run.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

_MAIN_CANDIDATES: list[tuple[str, str]] = [  # (regular, bold) file names
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("Arial Unicode.ttf", "Arial Unicode.ttf"),
    ("arial.ttf", "arialbd.ttf"),
    ("Arial.ttf", "Arial Bold.ttf"),
    ("segoeui.ttf", "segoeuib.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
]
# (file name, subfont index in a .ttc); TrueType outlines only (reportlab
# cannot embed CFF/OpenType-PS fonts such as Noto Sans CJK)
_CJK_CANDIDATES: list[tuple[str, int]] = [
    ("ipag.ttf", 0),
    ("ipagp.ttf", 0),
    ("DroidSansFallbackFull.ttf", 0),
    ("DroidSansFallback.ttf", 0),
    ("TakaoPGothic.ttf", 0),
    ("msgothic.ttc", 0),
    ("YuGothM.ttc", 0),
    ("msyh.ttc", 0),
    ("malgun.ttf", 0),
    ("Arial Unicode.ttf", 0),
]
_CID_FONTS = {"ja": "HeiseiKakuGo-W5", "zh": "STSong-Light", "ko": "HYGothic-Medium"}


def font_dirs() -> list[Path]:
    """Folders searched for system fonts on this platform.

    Returns
    -------
    list of Path
        Existing folders; ``DOSETRAIL_FONT_DIRS`` (os.pathsep-separated) first.
    """
    dirs: list[Path] = []
    env = os.environ.get("DOSETRAIL_FONT_DIRS")
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    if sys.platform.startswith("win"):
        windir = Path(os.environ.get("WINDIR", r"C:\Windows"))
        dirs += [windir / "Fonts",
                 Path(os.environ.get("LOCALAPPDATA", "")) / "Microsoft" / "Windows" / "Fonts"]
    elif sys.platform == "darwin":
        dirs += [Path("/System/Library/Fonts/Supplemental"), Path("/System/Library/Fonts"),
                 Path("/Library/Fonts"), Path.home() / "Library" / "Fonts"]
    else:
        dirs += [Path.home() / ".local/share/fonts", Path.home() / ".fonts",
                 Path("/usr/local/share/fonts"), Path("/usr/share/fonts")]
    return [d for d in dirs if d.is_dir()]


def _find(name: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        direct = d / name
        if direct.is_file():
            return direct
    for d in dirs:
        try:
            for hit in d.rglob(name):
                if hit.is_file():
                    return hit
        except OSError:
            continue
    return None


@dataclass
class ReportFonts:
    """The fonts the report uses, registered with reportlab."""

    regular: str
    bold: str
    fallback: str | None  # an embedded TrueType font for characters the main font lacks
    coverage: frozenset[int] | None  # code points of the main font (None: cp1252 Helvetica)
    fallback_coverage: frozenset[int] | None
    embedded: bool
    #: Adobe CID fonts (not embedded) that :func:`markup` has used. Give each
    #: report its own set: ``dataclasses.replace(fonts, cid_used=set())``.
    cid_used: set[str] = field(default_factory=set, compare=False, repr=False)

    def describe(self) -> str:
        """Describe the choice in one line.

        Returns
        -------
        str
            E.g. ``"DT-DejaVuSans, fallback DT-ipag-cjk"``.
        """
        extra = (f", fallback {self.fallback}" if self.fallback
                 else ", CJK via Adobe CID fonts (not embedded)")
        return f"{self.regular}{extra}" if self.embedded else "Helvetica (no TrueType font found)"


_CACHE: dict[tuple[str, ...], ReportFonts] = {}


def report_fonts(dirs: list[Path] | None = None) -> ReportFonts:
    """Find and register the report fonts (cached per folder list).

    Parameters
    ----------
    dirs
        Folders to search; :func:`font_dirs` when omitted. Pass ``[]`` to get
        the Helvetica fallback.

    Returns
    -------
    ReportFonts
    """
    system = dirs is None
    dirs = font_dirs() if dirs is None else list(dirs)
    key = tuple(str(d) for d in dirs) + (("<fontconfig>",) if system else ())
    if key in _CACHE:
        return _CACHE[key]
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = ReportFonts("Helvetica", "Helvetica-Bold", None, None, None, False)
    for regular_name, bold_name in _MAIN_CANDIDATES:
        regular = _find(regular_name, dirs)
        if regular is None:
            continue
        bold = _find(bold_name, dirs) or regular
        try:
            reg_font = TTFont(f"DT-{regular.stem}", str(regular))
            bold_font = TTFont(f"DT-{bold.stem}-b", str(bold))
        except Exception:  # noqa: BLE001 - a broken or CFF font: try the next one
            continue
        pdfmetrics.registerFont(reg_font)
        pdfmetrics.registerFont(bold_font)
        addMapping(reg_font.fontName, 0, 0, reg_font.fontName)
        addMapping(reg_font.fontName, 1, 0, bold_font.fontName)
        addMapping(reg_font.fontName, 0, 1, reg_font.fontName)
        addMapping(reg_font.fontName, 1, 1, bold_font.fontName)
        fonts = ReportFonts(reg_font.fontName, bold_font.fontName, None,
                            frozenset(reg_font.face.charToGlyph), None, True)
        break
    if fonts.embedded:
        candidates = [(_find(name, dirs), index) for name, index in _CJK_CANDIDATES]
        if system:
            candidates += _fontconfig_cjk()
        for path, index in candidates:
            if path is None:
                continue
            try:
                cjk = TTFont(f"DT-{path.stem}-cjk", str(path), subfontIndex=index)
            except Exception:  # noqa: BLE001
                continue
            pdfmetrics.registerFont(cjk)
            _map_to_itself(cjk.fontName)
            fonts.fallback = cjk.fontName
            fonts.fallback_coverage = frozenset(cjk.face.charToGlyph)
            break
    _CACHE[key] = fonts
    return fonts


def _fontconfig_cjk() -> list[tuple[Path, int]]:
    """TrueType fonts with Japanese, then Chinese, then Korean glyphs (fontconfig).

    Returns
    -------
    list of (Path, int)
        Font files and their index in a collection; empty without ``fc-list``.
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    found: list[tuple[Path, int]] = []
    for lang in ("ja", "zh", "ko"):
        try:
            out = subprocess.run(
                [fc_list, "--format=%{file}\t%{index}\n", f":lang={lang}:fontformat=TrueType"],
                capture_output=True, text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return found
        # regular weights first: a bold face as the fallback would look odd
        lines = sorted(out.splitlines(), key=lambda line: ("bold" in line.lower(), line))
        for line in lines:
            file, _, index = line.partition("\t")
            entry = (Path(file), int(index) if index.strip().isdigit() else 0)
            if file and entry not in found:
                found.append(entry)
    return found


def _cjk_lang(ch: str) -> str | None:
    cp = ord(ch)
    if 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9F:
        return "ja"  # kana
    if 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
        return "ko"
    if (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x3000 <= cp <= 0x303F
            or 0xFF00 <= cp <= 0xFFEF or 0xF900 <= cp <= 0xFAFF):
        return "ja"  # Han: the Japanese CID font covers the common ideographs
    return None


def _cid_font(lang: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    name = _CID_FONTS[lang]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
        _map_to_itself(name)
    return name


def _map_to_itself(name: str) -> None:
    """Let <b>/<i> markup around a run in this font keep the font (no bold face)."""
    from reportlab.lib.fonts import addMapping

    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)


def _in_cp1252(ch: str) -> bool:
    try:
        ch.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


# letters whose Unicode decomposition does not reveal a Latin base letter
_NO_DECOMPOSITION = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i",
                     "Ŀ": "L", "ŀ": "l", "Ŧ": "T", "ŧ": "t", "ĸ": "k", "⁻": "-", "−": "-",
                     "‐": "-", "‑": "-"}


def transliterate(ch: str) -> str:
    """A cp1252 stand-in for a character Helvetica cannot print.

    Parameters
    ----------
    ch
        One character.

    Returns
    -------
    str
        The character without its accents (``"ő"`` -> ``"o"``), or ``"?"``.
    """
    if ch in _NO_DECOMPOSITION:
        return _NO_DECOMPOSITION[ch]
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if base and all(_in_cp1252(c) for c in base):
        return base
    return "?"


def markup(text: object, fonts: ReportFonts) -> str:
    """Escape ``text`` for a reportlab Paragraph, switching fonts per run.

    Parameters
    ----------
    text
        Any value (``str()`` is applied; ``None`` gives ``""``).
    fonts
        From :func:`report_fonts`.

    Returns
    -------
    str
        Paragraph markup.
    """
    if text is None:
        return ""
    runs: list[tuple[str | None, str]] = []  # (font or None for the main font, text)
    for ch in str(text):
        font: str | None = None
        out = ch
        if fonts.coverage is not None:
            if ord(ch) not in fonts.coverage and not ch.isspace():
                if fonts.fallback_coverage and ord(ch) in fonts.fallback_coverage:
                    font = fonts.fallback
                elif _cjk_lang(ch):
                    font = _cid_font(_cjk_lang(ch) or "ja")
                    fonts.cid_used.add(font)
                else:
                    out = transliterate(ch)
        elif not _in_cp1252(ch):
            lang = _cjk_lang(ch)
            if lang:
                font = _cid_font(lang)
                fonts.cid_used.add(font)
            else:
                out = transliterate(ch)
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + out)
        else:
            runs.append((font, out))
    parts = []
    for font, chunk in runs:
        if font is None:
            parts.append(escape(chunk))
        else:
            parts.append(f'<font name="{font}">{escape(chunk)}</font>')
    return "".join(parts)
