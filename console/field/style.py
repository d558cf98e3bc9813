"""How the field window looks: big type and big buttons for gloves on a bouncing boat, one colour per
priority; the style sheet and the helpers that re-apply it when a widget's state property changes."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QWidget

PRIORITY_COLOURS = {"P1": "#c62828", "P2": "#ef6c00", "P3": "#f9a825", "P4": "#607d8b"}

STYLE = """
QMainWindow#fieldWindow, QWidget#fieldCentral { background: #eceff1; }
QWidget { font-size: 16px; }
QFrame#header { background: #102027; }
QFrame#header QLabel { color: #eceff1; }
QLabel#unitName { font-size: 22px; font-weight: bold; }
QLabel#presence { font-size: 17px; font-weight: bold; padding: 4px 14px; border-radius: 14px; }
QLabel#presence[online="true"] { background: #2e7d32; color: white; }
QLabel#presence[online="false"] { background: #c62828; color: white; }
QLabel#contact, QLabel#waiting { font-size: 15px; }
QLabel#waiting { color: #ffca28; font-weight: bold; }
QFrame#card { background: white; border: 1px solid #cfd8dc; border-radius: 8px; }
QLabel#priority { color: white; font-size: 22px; font-weight: bold; padding: 4px 12px; border-radius: 6px; }
QLabel#category { font-size: 26px; font-weight: bold; color: #102027; }
QLabel#ref, QLabel#place { font-size: 17px; color: #37474f; }
QLabel#instructions { font-size: 18px; color: #102027; background: #fff8e1; border-left: 5px solid #ffb300;
                      padding: 8px; }
QLabel#deadline { font-size: 18px; font-weight: bold; color: #37474f; }
QLabel#deadline[overdue="true"] { color: #c62828; }
QLabel#progress { font-size: 17px; color: #1565c0; font-weight: bold; }
QLabel#idle { font-size: 24px; color: #78909c; }
QLabel#prompt { font-size: 20px; font-weight: bold; color: #102027; padding: 4px 0 8px 0; }
QLabel#banner { font-size: 17px; font-weight: bold; padding: 8px; border-radius: 6px; }
QLabel#banner[level="error"] { background: #ffebee; color: #b71c1c; border: 1px solid #ef9a9a; }
QLabel#banner[level="info"] { background: #e3f2fd; color: #0d47a1; border: 1px solid #90caf9; }
QPushButton { font-size: 20px; font-weight: bold; min-height: 64px; border-radius: 8px; padding: 6px 14px;
              border: 2px solid #90a4ae; background: #fafafa; color: #263238; }
QPushButton:pressed { background: #cfd8dc; }
QPushButton:disabled { color: #b0bec5; border-color: #cfd8dc; background: #f5f5f5; }
QPushButton#accept { background: #2e7d32; border-color: #1b5e20; color: white; }
QPushButton#decline { background: #c62828; border-color: #8e0000; color: white; }
QPushButton#en_route, QPushButton#on_scene { background: #1565c0; border-color: #0d47a1; color: white; }
QPushButton#resolved { background: #00695c; border-color: #004d40; color: white; }
QPushButton#accept:disabled, QPushButton#decline:disabled,
QPushButton#en_route:disabled, QPushButton#on_scene:disabled, QPushButton#resolved:disabled {
    background: #eceff1; border-color: #cfd8dc; color: #b0bec5; }
QPushButton#send { min-height: 52px; background: #1565c0; border-color: #0d47a1; color: white; }
QPushButton[choice="true"] { font-size: 18px; min-height: 56px; text-align: left; padding-left: 16px; }
QPushButton[choice="true"]:checked { background: #1565c0; border-color: #0d47a1; color: white; }
QLineEdit, QPlainTextEdit { font-size: 18px; min-height: 48px; padding: 4px 8px; border: 2px solid #b0bec5;
                            border-radius: 6px; background: white; }
QListWidget { font-size: 17px; background: white; border: 1px solid #cfd8dc; }
QTabBar::tab { font-size: 17px; min-height: 40px; padding: 4px 18px; }
"""



def hhmm(ts: float | None) -> str:
    return "" if not ts else time.strftime("%H:%M", time.localtime(ts))


def restyle(w: QWidget) -> None:
    w.style().unpolish(w)
    w.style().polish(w)
