"""The console started on a broken feeds file: it says so on the device bench and does not run the demo city."""

from __future__ import annotations

from console.cli import build_parser, gui
from console.main_window import MainWindow
from console.session import open_session
from dispatch.city.data import load_city


def test_a_broken_feeds_file_is_shown_on_the_bench_and_the_demo_stays_off(qtbot, tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    feeds = tmp_path / "feeds.toml"
    feeds.write_text('[[feed]]\nname = "cabin gps"\nkind = "serial"\nport = "/dev/ttyUSB0"\nbaud = "fast"\n')
    args = build_parser().parse_args(["gui", "--db", db_url, "--feeds", str(feeds)])
    session = open_session(db_url)
    try:
        # the engineer declared feeds: a typo in the file must not fill the store with the demo fleet
        assert gui.should_run_demo(args, session) is False
        window = MainWindow(session.core, load_city().geojson(), lang="en", store_label=db_url)
        qtbot.addWidget(window)
        gui.start_feeds(args, session, window)
        panel = window.devices_panel
        assert not panel.notice.isHidden()
        assert str(feeds) in panel.notice.text() and "baud" in panel.notice.text()
        assert panel.save_enabled is False  # the bench never overwrites the file it could not read
        from console.incidents import install

        install(window, timers=False)  # brings its queue forward, as at start
        gui.show_feed_problem(args, window)
        assert window.current_side_widget() is panel  # the console opens where it says why
        assert "baud" in window.statusBar().currentMessage()
        window.close()
    finally:
        session.close()
    # --demo still runs it on purpose
    assert gui.should_run_demo(build_parser().parse_args(["gui", "--demo", "--feeds", str(feeds)]), None) is True
