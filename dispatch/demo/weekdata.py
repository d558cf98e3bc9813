"""What the demo city's past week is made of (dispatch/demo/week.py): the kinds of report and what was done about
them, where reports come from, when they come in, how long each stage takes, the problems that come back. Every
text in it is invented."""

from __future__ import annotations

# (category, weight, unit kind, texts, what the unit did)
CATEGORIES: tuple[tuple[str, int, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("floating_garbage", 20, "cleaning_vessel",
     ("江面漂浮垃圾约10平方米，顺流向下游移动", "岸边水面漂浮塑料瓶、泡沫等垃圾", "江面有成片水葫芦和漂浮物"),
     ("已打捞清理漂浮垃圾约{n}袋", "漂浮物已打捞上岸，交环卫转运")),
    ("water_pollution", 6, "patrol_boat",
     ("排污口附近水面发黑、有异味", "江面出现油污带约100米"),
     ("已取样并通报生态环境部门，排污口已临时封堵", "油污已用吸油毡处置，已拍照取证")),
    ("illegal_fishing", 9, "patrol_boat",
     ("有人在禁渔区电鱼", "岸边有人违规张网捕鱼"),
     ("已制止并收缴电鱼工具，当事人已接受教育", "渔网已拆除，当事人已登记")),
    ("illegal_sand_mining", 4, "patrol_boat",
     ("江心有采砂船作业，疑似无证采砂", "夜间有船只在江中抽砂"),
     ("采砂船已停止作业，船号已登记并移交水利部门",)),
    ("illegal_dumping", 14, "officer",
     ("路边倾倒生活垃圾和废旧家具", "绿化带内有人倾倒装修垃圾"),
     ("已清理现场并联系环卫清运", "已查找倾倒人并责令清理")),
    ("construction_waste_spill", 12, "officer",
     ("渣土车沿路抛洒，路面泥土约30米", "工地出口道路污染，车辆带泥上路"),
     ("已责令运输公司清扫路面，已拍照取证", "已督促工地冲洗车辆并清扫路面")),
    ("street_vending", 18, "officer",
     ("人行道上流动摊贩占道经营", "店外占道堆放货物，影响通行", "夜市摊点超出划定范围经营"),
     ("已劝导摊主撤离，恢复通行", "已责令当场整改，货物已搬回店内")),
    ("illegal_construction", 5, "officer",
     ("小区内有人违规搭建彩钢棚", "临街商铺违规加建雨棚"),
     ("已告知当事人停止搭建，限期自行拆除",)),
    ("damaged_facility", 8, "officer",
     ("人行道井盖破损，存在安全隐患", "路灯杆倾斜", "道路护栏被撞损坏"),
     ("已设置警示标志并通知养护单位维修", "养护单位已到场修复")),
    ("other", 2, "officer",
     ("广告牌松动，存在坠落风险", "街面乱张贴小广告"),
     ("已通知产权单位加固", "已清理小广告")),
)
WATER_KINDS = ("patrol_boat", "cleaning_vessel")
# (source, weight, reporter)
SOURCES = (("hotline", 30, None), ("app", 14, "市民 APP"), ("wechat", 10, "微信公众号"), ("web", 5, "市民网页"),
           ("patrol", 26, None), ("video", 15, "视频巡查"))
CITIZEN_SOURCES = frozenset({"hotline", "app", "wechat", "web"})
CLIENTS = (("lzcg-app", "app"), ("wechat-oa", "wechat"))  # the demo's Open311 clients (name, source)
PRIORITIES = (("P1", 6), ("P2", 28), ("P3", 44), ("P4", 22))
# reports an hour, by the bureau's hour of day (relative)
HOUR_WEIGHTS = (0.2, 0.1, 0.1, 0.1, 0.2, 0.3, 0.6, 1.2, 2.4, 2.8, 2.6, 2.0, 1.3, 1.5, 2.4, 2.6, 2.5, 2.2,
                1.8, 1.6, 1.2, 0.9, 0.6, 0.3)
SATISFACTION = ((5, 50), (4, 32), (3, 12), (2, 5), (1, 1))
# minutes from reported to dispatched, by priority (their deadlines: 5, 15, 30, 120)
DISPATCH_MIN = {"P1": (1.0, 5.5), "P2": (3.0, 16.0), "P3": (5.0, 32.0), "P4": (10.0, 110.0)}
# minutes from setting out to on scene, by priority (the arrival deadlines from dispatch: 20, 45, 120, 480)
TRAVEL_MIN = {"P1": (4.0, 17.0), "P2": (6.0, 38.0), "P3": (8.0, 45.0), "P4": (10.0, 60.0)}

# Problems that come back at the same place and hour (the dashboard's hotspots: the same category, place and
# three-hour band on several days): (category, unit kind, where, (first, last) hour, days, texts, sources, found).
# Where: ("zone", i) a patrol zone's middle, ("river", f) the river at fraction f.
RECURRING = (
    ("street_vending", "officer", ("zone", 1), (18.3, 20.6), 4, ("夜市摊点超出划定范围经营", "夜市流动摊贩占用人行道"),
     ("hotline", "app"), "已劝导摊主退回划定范围经营"),
    ("floating_garbage", "cleaning_vessel", ("river", 0.47), (6.2, 8.7), 3, ("回水湾处漂浮垃圾聚集", "江面漂浮垃圾约10平方米"),
     ("patrol", "video"), "已打捞清理回水湾漂浮垃圾"),
)

# the reports the demo's cases follow (dispatch/demo/cases.py), handled in the week: code -> (days before, hour)
CASE_REPORTS = {"SWHJ-001": (4, 9.2), "CSRQ-001": (3, 10.4), "CSRQ-002": (2, 15.7)}
