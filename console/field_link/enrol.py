"""Field link → **Enrol a unit…**: an administrator gives a registered unit its field key without the command line.

The seat makes the CURVE key pair and writes the unit's key file where the administrator chooses (mode 0600); only
the public key goes to the core (`field.enrol`, the administrator's), in this console's store or the hub's. The
secret is never sent anywhere: the file is what the unit's field client is started with
(`python main.py field --keys FOLDER --unit UNIT`). A unit that had a key gets a new one, and the old one stops
working at once: the dialog says so before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDir
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from console.i18n import kind_label


class EnrolDialog(QDialog):
    """Which unit, and where its key file goes. `units`: [(id, name, kind)] registered; `keyed`: ids with a key."""

    def __init__(self, units: list[tuple[str, str, str]], keyed: set[str], parent: QWidget | None = None,
                 folder: str | None = None, unit_id: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Enrol a unit on the field link"))
        self.keyed = keyed
        self.unit = QComboBox(self)
        self.unit.setObjectName("enrolUnit")
        for uid, name, kind in sorted(units, key=lambda u: (u[0] in keyed, u[2], u[1])):  # those without a key first
            label = f"{name} ({uid}) · {kind_label(kind)}" if name != uid else f"{uid} · {kind_label(kind)}"
            if uid in keyed:
                label += " · " + self.tr("has a key")
            self.unit.addItem(label, uid)
        if unit_id is not None and self.unit.findData(unit_id) >= 0:
            self.unit.setCurrentIndex(self.unit.findData(unit_id))
        self.folder = QLineEdit(folder or str(Path(QDir.homePath()) / "keys"), self)
        self.folder.setObjectName("enrolFolder")
        choose = QPushButton(self.tr("Choose…"), self)
        choose.clicked.connect(self._choose)
        where = QHBoxLayout()
        where.addWidget(self.folder, 1)
        where.addWidget(choose)
        self.warning = QLabel(self)
        self.warning.setObjectName("enrolWarning")
        self.warning.setWordWrap(True)
        self.file_label = QLabel(self)
        self.file_label.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(self.tr("Unit"), self.unit)
        form.addRow(self.tr("Key file folder"), where)
        form.addRow("", self.file_label)
        form.addRow("", self.warning)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Enrol"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.unit.currentIndexChanged.connect(self._update)
        self.folder.textChanged.connect(self._update)
        self.setMinimumWidth(520)
        self._update()

    def _choose(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Folder for the unit's key file"), self.folder.text())
        if path:
            self.folder.setText(path)

    def unit_id(self) -> str | None:
        return self.unit.currentData()

    def path(self) -> Path | None:
        uid, folder = self.unit_id(), self.folder.text().strip()
        if not uid or not folder:
            return None
        from dispatch.hub.keys import key_file

        return key_file(Path(folder).expanduser(), uid)

    def _update(self) -> None:
        uid, path = self.unit_id(), self.path()
        self.ok.setEnabled(path is not None)
        self.file_label.setText(self.tr("Writes %1: the unit's secret key. Keep it secret; it is the unit's "
                                        "identity.").replace("%1", str(path)) if path else "")
        if uid in self.keyed:
            self.warning.setText(self.tr("%1 has a key: the new one replaces it, and the old one stops working at "
                                         "once (a client still using it is cut off).").replace("%1", uid or ""))
        elif path is not None and path.exists():
            self.warning.setText(self.tr("%1 exists and will be replaced.").replace("%1", str(path)))
        else:
            self.warning.setText("")


def enrol(core: Any, actor: str, unit_id: str, path: Path) -> dict[str, Any]:
    """On the core worker: the pair made here, the file written, the public key enrolled (dispatch/hub/keys.py)."""
    from dispatch import ops
    from dispatch.hub.keys import enrol_to_file

    def enrol_public(public: str) -> str:
        return str(ops.call(core, "field.enrol", {"unit_id": unit_id, "public_key": public}, actor=actor)
                   ["hub_public_key"])

    return enrol_to_file(enrol_public, unit_id, path)


def ask_enrol(panel: Any) -> None:
    """The Field link tab's button: the dialog, then the enrolment off the GUI thread; the tab's feedback line says
    what was written where, or why not."""
    from PySide6.QtCore import QSettings

    from console.operations import DispatchOp, seat_actor

    data = panel.data
    keyed = {k["unit_id"] for k in data.get("keys", []) if k.get("state") == "enrolled"}
    settings = QSettings()
    dialog = EnrolDialog(data.get("registered", []), keyed, panel, folder=settings.value("field/key_folder") or None,
                         unit_id=panel.selected)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    uid, path = dialog.unit_id(), dialog.path()
    if uid is None or path is None:
        return
    settings.setValue("field/key_folder", str(path.parent))
    actor = seat_actor()

    def done(r: dict[str, Any]) -> None:
        panel.feedback.setText(panel.tr("Enrolled %1: key file %2. Start its field client with it: python main.py "
                                        "field --keys %3 --unit %1").replace("%1", uid).replace("%2", r["file"])
                               .replace("%3", str(path.parent)))
        panel.refresh()

    def failed(exc: BaseException) -> None:
        panel.feedback.setText(panel.tr("%1 not enrolled: %2").replace("%1", uid).replace("%2", str(exc)))

    DispatchOp(parent=panel, op=lambda core: enrol(core, actor, uid, path)).success(done).failure(failed) \
        .run_in_background()
