"""Enforcement cases (行政处罚案件): the party, the violation and its discretion benchmark, the officers'
roster, the procedure of the Administrative Penalty Law (2021) step by step with its deadlines, the
documents (文书) as PDF, and the archive (档案). A case opens from an incident, an alert or directly.
Owns the case.* and officer.* events, operations and appliers."""
