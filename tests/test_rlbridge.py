"""The ReportLab boundary: nothing changes on import; a missing internal fails loudly."""

from __future__ import annotations

import subprocess
import sys

import pytest
import reportlab
from reportlab.pdfbase import ttfonts
from reportlab.platypus import Spacer

from leaflet import rlbridge

from .conftest import ROOT


def test_import_leaflet_leaves_reportlab_unchanged():
    """Importing leaflet changes nothing in ReportLab; the first build makes leaflet's two changes."""
    code = ("import reportlab.platypus.paragraph as p\n"
            "shape, cannot = p.shapeFragWord, p.ALL_CANNOT_START\n"
            "import leaflet, leaflet.pipeline, leaflet.layout, leaflet.pdf, leaflet.fasttext, leaflet.batch\n"
            "print(p.shapeFragWord is shape, p.ALL_CANNOT_START == cannot)\n"
            "leaflet.build_pdf('diazepam')\n"
            "print(p.shapeFragWord is shape, p.ALL_CANNOT_START == cannot, '\\uff0c' in p.ALL_CANNOT_START)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["True", "True", "False", "False", "True"]


def test_a_reportlab_without_an_internal_leaflet_uses_fails_loudly(monkeypatch):
    monkeypatch.delattr(ttfonts.TTFont, "_TTFont__addPrivate")
    with pytest.raises(rlbridge.ReportLabChanged, match=rf"ReportLab {reportlab.Version} has no TTFont\."):
        rlbridge.check()


def test_a_missing_attribute_on_reportlab_objects_fails_loudly_not_silently():
    with pytest.raises(rlbridge.ReportLabChanged, match=reportlab.Version):
        rlbridge.group_content(Spacer(1, 1))  # a flowable without the content leaflet expects
    assert rlbridge.at_frame_top(Spacer(1, 1)) is False  # not in a frame (yet): not at its top


def test_the_installed_reportlab_is_a_tested_version():
    """pyproject.toml pins ReportLab to the versions leaflet is tested with (rlbridge.TESTED)."""
    major, minor = (int(x) for x in reportlab.Version.split(".")[:2])
    assert (major, minor) in rlbridge.TESTED
    pin = next(line for line in (ROOT / "pyproject.toml").read_text().splitlines() if '"reportlab' in line)
    assert pin.strip().startswith(f'"reportlab>={major}.{minor},<{major}.{minor + 1}"'), pin
