"""On a bare X11 desktop the console names the library Qt's xcb plugin lacks (issue 19, item 20)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.platform_check import debian_package, missing_libraries, needed_libraries, uses_xcb, xcb_message

ROOT = Path(__file__).resolve().parents[2]


def _cc(tmp: Path, name: str, source: str, *link: str) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the test libraries")
    (tmp / f"{name}.c").write_text(source)
    out = tmp / name
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(out), str(tmp / f"{name}.c"), f"-Wl,-soname,{name}",
                    "-Wl,--no-as-needed", f"-L{tmp}", *link], check=True, capture_output=True)
    return out


def test_a_library_removed_after_linking_is_named_also_behind_a_bundled_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """plugin -> libbundled (in the plugin's own folder, like Qt's) -> libgone (not on the system)."""
    gone = _cc(tmp_path, "libfhgone.so.4", "int gone(void) { return 4; }")
    own = tmp_path / "own"
    own.mkdir()
    (own / "libfhbundled.so.6").symlink_to(_cc(tmp_path, "libfhbundled.so.6",
                                               "int gone(void); int bundled(void) { return gone(); }",
                                               "-l:libfhgone.so.4"))
    plugin = _cc(tmp_path, "libfhplugin.so", "int bundled(void); int plugin(void) { return bundled(); }",
                 f"-L{own}", "-l:libfhbundled.so.6", "-lm")
    assert needed_libraries(plugin)[:2] == ["libfhbundled.so.6", "libm.so.6"]
    gone.unlink()  # as on a desktop without the package
    assert missing_libraries(plugin, own) == ["libfhgone.so.4"]
    assert missing_libraries(plugin, None) == ["libfhbundled.so.6"]  # not bundled: the loader cannot see it


def test_the_qt_xcb_plugin_is_read_as_the_dynamic_loader_sees_it() -> None:
    from PySide6.QtCore import QLibraryInfo

    plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
    if not plugin.exists() or shutil.which("ldd") is None:
        pytest.skip("no xcb plugin or no ldd here")
    libs = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath))
    needed = needed_libraries(plugin)
    assert "libQt6XcbQpa.so.6" in needed and "libxcb.so.1" in needed
    ldd = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True).stdout
    not_found = {line.split()[0] for line in ldd.splitlines() if "not found" in line}
    assert set(missing_libraries(plugin, libs)) == not_found


def test_the_message_names_each_library_and_its_package() -> None:
    assert debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert debian_package("libxcb-keysyms.so.1") == "libxcb-keysyms1"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libX11-xcb.so.1") == "libx11-xcb1"
    text = xcb_message(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in text
    assert "apt install libxcb-icccm4 libxcb-keysyms1" in text


def test_xcb_is_expected_only_on_an_x_display(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for var in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    assert uses_xcb() is (sys.platform == "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert not uses_xcb()
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert uses_xcb() is (sys.platform == "linux")
    monkeypatch.delenv("DISPLAY")
    assert not uses_xcb()


@pytest.mark.skipif(sys.platform != "linux", reason="X11 only")
def test_the_console_says_what_is_missing_instead_of_qts_abort(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from console.platform_check import xcb_missing

    missing = xcb_missing()
    env = {**os.environ, "DISPLAY": ":97531", "QT_QPA_PLATFORM": "xcb", "LANG": "en_US.UTF-8"}
    env.pop("LC_ALL", None)
    r = subprocess.run([sys.executable, "main.py", "--db", f"sqlite:///{tmp_path / 's.db'}", "--lang", "en",
                        "--no-hub"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    if missing:  # a bare desktop (this machine): named, with the packages, exit 3
        assert r.returncode == 3, r.stderr
        assert all(m in r.stderr for m in missing) and "apt install" in r.stderr
    else:  # everything there: Qt gets as far as the display, which does not exist
        assert r.returncode != 0 and "missing" not in r.stderr
