"""The one catalogue of every user-facing string: Chinese first, English second.

Wording follows the branch's service norms: courteous (您好, 请, 请稍候, 谢谢, 欢迎再来),
plain words, a refusal is an apology plus what the customer can do instead, and none
of the forbidden phrases (服务忌语) in :data:`FORBIDDEN_PHRASES` may appear. A test
checks every entry against that list.

Use :func:`text` for a ``Bilingual`` pair, or :func:`zh` / :func:`en` for one side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Bilingual:
    """A text in Chinese and English. A plain class, not a dataclass: the ``kiosk``
    client imports this module, and ``dataclasses`` alone costs it about 7 ms."""

    __slots__ = ("en", "zh")

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"

    def __repr__(self) -> str:
        return f"Bilingual({self.zh!r}, {self.en!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bilingual) and (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))

    def __add__(self, other: Bilingual) -> Bilingual:
        """Both sides joined: a sentence plus an optional clause, e.g. a pause's redirect."""
        return Bilingual(self.zh + other.zh, self.en + other.en)


# Phrases the service norms forbid in any user-facing text.
FORBIDDEN_PHRASES = (
    "不行", "我不知道", "不清楚", "这不是我的事", "没法干", "您找别人吧", "您问别人吧",
    "您自己去问吧", "这个问题不太要紧", "那种现象很正常", "这是您的问题", "不属于我们的事",
    "你投诉好了", "找我们领导好了",
)

# key -> (zh template, en template). Templates use str.format fields.
CATALOGUE: dict[str, tuple[str, str]] = {
    # --- rejections (codes returned by the core) -------------------------------------
    "no_such_service": (
        "抱歉，本网点暂不办理“{service}”业务，请选择屏幕上的业务，或咨询大堂工作人员。",
        "Sorry, this branch does not offer service '{service}'. Please choose a service on "
        "the screen or ask our lobby staff.",
    ),
    "no_such_counter": (
        "抱歉，没有{counter}号窗口，请核对窗口号。",
        "Sorry, there is no counter {counter}. Please check the counter number.",
    ),
    "no_such_ticket": (
        "抱歉，今天没有找到{ticket}号，请核对号码。",
        "Sorry, ticket {ticket} was not found today. Please check the number.",
    ),
    "counter_paused": (
        "{counter}号窗口暂停服务，请先恢复服务再叫号。",
        "Counter {counter} is paused. Please resume service before calling.",
    ),
    "counter_closed": (
        "{counter}号窗口未开放，请先开放窗口。",
        "Counter {counter} is closed. Please open it first.",
    ),
    "counter_busy": (
        "{counter}号窗口正在为{ticket}号办理，请先办结或转办后再暂停。",
        "Counter {counter} is serving {ticket}. Please finish or transfer it before pausing.",
    ),
    "queue_empty": (
        "{counter}号窗口目前没有等候的客户，请稍后再叫号。",
        "No customers are waiting for counter {counter}. Please call again shortly.",
    ),
    "no_current_ticket": (
        "{counter}号窗口当前没有正在叫的号，请先叫号。",
        "Counter {counter} has no ticket called. Please call the next customer first.",
    ),
    "service_closed": (
        "抱歉，“{service_zh}”业务暂时没有开放的窗口，请稍候或咨询大堂工作人员。",
        "Sorry, no counter is open for {service_en} at the moment. Please wait a moment or "
        "ask our lobby staff.",
    ),
    "outside_hours": (
        "抱歉，现在不是营业时间，{next_open_zh}开始办理，欢迎再来。",
        "Sorry, we are closed now. We open {next_open_en}. You are welcome to come back.",
    ),
    "no_opening_soon": (
        "抱歉，现在不是营业时间，营业时间请见大厅公告，欢迎再来。",
        "Sorry, we are closed now. Please see the opening hours posted in the hall.",
    ),
    "clock_unsynced": (
        "您好，系统正在校准时间，请稍候片刻再取号，谢谢您的耐心。",
        "Hello, the system is setting its clock. Please wait a moment before taking a "
        "number. Thank you for your patience.",
    ),
    "priority_reason_invalid": (
        "优先号需要注明原因（{allowed}），请重新选择。",
        "A priority ticket needs a reason ({allowed}). Please choose one.",
    ),
    "not_no_show": (
        "{ticket}号当前不是过号状态，无需恢复。",
        "Ticket {ticket} is not marked as missed, so it does not need reinstating.",
    ),
    "already_open": (
        "{counter}号窗口已在服务中。",
        "Counter {counter} is already open.",
    ),
    "already_closed": (
        "{counter}号窗口已关闭。",
        "Counter {counter} is already closed.",
    ),
    "already_paused": (
        "{counter}号窗口已在暂停中。",
        "Counter {counter} is already paused.",
    ),
    "not_paused": (
        "{counter}号窗口没有暂停，无需恢复。",
        "Counter {counter} is not paused.",
    ),
    "transfer_target_missing": (
        "转办请指定目标业务或目标窗口（只选一个）。",
        "Please give either a target service or a target counter for the transfer.",
    ),
    "transfer_same": (
        "{ticket}号已在该业务或窗口，无需转办。",
        "Ticket {ticket} is already there; no transfer is needed.",
    ),
    "transfer_target_not_open": (
        "{target}号窗口当前未开放，请选择其他窗口。",
        "Counter {target} is not open. Please choose another counter.",
    ),
    "redirect_invalid": (
        "引导窗口{redirect}不可用，请选择一个正在服务的其他窗口。",
        "Counter {redirect} cannot take redirected customers. Please choose another open "
        "counter.",
    ),
    "no_recent_ticket": (
        "谢谢您！目前没有刚办结的业务可以评价。",
        "Thank you! There is no recently finished service to rate.",
    ),
    "already_rated": (
        "谢谢您，本次服务已经评价过了。",
        "Thank you, this service has already been rated.",
    ),
    "bad_score": (
        "评价选项无效，请选择满意、一般或不满意。",
        "Invalid rating. Please choose satisfied, fair or dissatisfied.",
    ),
    "bad_device_name": (
        "设备名称无效：请使用 1–40 个字母、数字或 _.:- 字符。",
        "Invalid device name: use 1–40 letters, digits or _.:- characters.",
    ),
    "too_many_devices": (
        "已登记的设备已达 {limit} 个上限，无法再添加新设备。",
        "The limit of {limit} reported devices is reached; no new device can be added.",
    ),
    "bad_device_status": (
        "设备状态“{status}”无效。",
        "Unknown device status '{status}'.",
    ),
    "bad_command": (
        "指令无法识别：{detail}",
        "The command was not understood: {detail}",
    ),
    "service_unavailable": (
        "取号服务正在启动或维护，请稍候。",
        "The kiosk service is starting or under maintenance. Please wait a moment.",
    ),
    "stopping": (
        "取号服务正在重启，请稍候。",
        "The kiosk service is restarting. Please wait a moment.",
    ),
    # --- screen, ticket, display and voice lines --------------------------------------
    "ticket_thanks": ("请留意叫号，谢谢您的耐心等候", "Please listen for your number. Thank you for waiting"),
    "ticket_ahead": ("您前面还有 {ahead} 位", "{ahead} ahead of you"),
    "ticket_wait": ("预计等候约 {minutes} 分钟", "Estimated wait about {minutes} min"),
    "ticket_wait_none": ("请留意叫号，马上为您办理", "You will be called shortly"),
    "ticket_documents": ("请准备以下材料：", "Please have these documents ready:"),
    "ticket_priority": ("优先服务", "Priority service"),
    "print_failed": (
        "抱歉，打印机暂时无法出票。您的号码是 {ticket}，请记下号码并留意叫号，工作人员已收到通知。",
        "Sorry, the printer cannot print right now. Your number is {ticket}. Please note it "
        "and listen for your call; our staff have been notified.",
    ),
    "paper_low": ("票纸即将用完，已通知工作人员", "Ticket paper is running low; staff have been told"),
    "display_call": ("请{ticket}号到{counter}号窗口", "{ticket} to counter {counter}"),
    "display_call_short": ("{ticket}→{counter}号窗口", "{ticket} -> {counter}"),
    "display_paused": ("暂停服务", "Service paused"),
    "display_redirect": ("请到{redirect}号窗口", "Please go to counter {redirect}"),
    "display_closed": ("本窗口暂停服务", "Counter closed"),
    "display_idle": ("欢迎光临", "Welcome"),
    "voice_call": ("请 {ticket} 号到 {counter} 号窗口办理", "Number {ticket}, counter {counter}"),
    # --- printer (issue 4) -------------------------------------------------------------
    "ticket_issued_at": ("取号时间 {time}", "Issued {time}"),
    "ticket_hotline": ("服务热线 {hotline}", "Service hotline {hotline}"),
    "ticket_qr": ("欢迎扫码了解更多服务", "Scan to learn more about our services"),
    "ticket_reprint": ("补打凭条", "Reprinted ticket"),
    # --- counter hardware: display, voice, buttons (issue 5) -------------------------
    "display_counter_paused": ("{counter}号窗口暂停服务", "Counter {counter} paused"),
    "display_redirect_short": ("请到{redirect}号窗口", "Counter {redirect}, please"),
    # --- store: refused starts and recoveries, for the operator (issue 8) ----------------
    "store_locked": (
        "数据库 {path} 正在由另一个取号程序使用（进程号 {pid}）。两个程序共用一个数据库会发出"
        "重复号码，因此本程序没有启动。请先停止该进程或确认它已退出，或为本程序配置另一个数据库。",
        "The database {path} is in use by another kiosk process (PID {pid}). Two kiosks on "
        "one database would issue the same numbers, so this one did not start. Please stop "
        "that process or check that it has exited, or configure another database for this one.",
    ),
    "store_corrupt": (
        "数据库 {path} 已损坏（{detail}）。本程序没有启动，也没有改动该文件。请停止服务，把该文件"
        "连同同名的 -wal、-shm 文件移到别处保存，再从备份恢复；没有备份时，移走后重新启动会新建"
        "数据库，号码从高水位记录之后继续。",
        "The database {path} is damaged ({detail}). The kiosk did not start and left the "
        "file untouched. Please stop the service, move the file and its -wal and -shm files "
        "aside, and restore it from a backup; without one, moving it aside and starting again "
        "creates a new database whose numbers continue after the high-water mark.",
    ),
    "store_unwritable": (
        "数据库 {path} 无法写入（{detail}）。取号必须写入数据库，因此本程序没有启动。请检查该文件"
        "及其目录的权限、只读挂载、不可变属性（lsattr）和磁盘空间，修复后再启动。",
        "The database {path} cannot be written ({detail}). Issuing numbers needs a writable "
        "database, so the kiosk did not start. Please check the permissions of the file and "
        "its directory, a read-only mount, the immutable attribute (lsattr) and free disk "
        "space, then start again.",
    ),
    "store_behind": (
        "数据库 {path} 落后于高水位记录（记录到第 {mark_seq} 条事件，数据库只到第 {store_seq} 条，"
        "{day} 的号码记录为 {numbers}）：数据可能已丢失。号码将从记录之后继续，不会重复发号。",
        "The database {path} is behind its high-water mark (mark at event {mark_seq}, "
        "database at {store_seq}; numbers of {day}: {numbers}): events may have been lost. "
        "Numbering continues after the mark, so no number is issued twice.",
    ),
    # --- control socket and the kiosk command (issue 8) -------------------------------
    "busy": (
        "取号服务正在处理其他请求，请稍候再试。",
        "The kiosk service is busy with other requests. Please try again in a moment.",
    ),
    "not_permitted": (
        "抱歉，当前账户无权操作取号服务，请使用取号服务的账户或管理员账户操作。",
        "Sorry, this account may not control the kiosk service. Please use the kiosk's "
        "account or an administrator account.",
    ),
    "socket_path_unusable": (
        "控制接口路径无法使用，未删除任何文件",
        "The control socket path cannot be used; no file was removed",
    ),
    "storage_unusable": (
        "数据库无法使用，取号服务没有启动。请按下面的说明处理（检查磁盘空间和文件权限，"
        "或从备份恢复），然后再启动服务；自动重启无法解决此问题。",
        "The database cannot be used, so the kiosk service did not start. Please act on the "
        "note below (check disk space and file permissions, or restore a backup), then "
        "start the service again; restarting it alone will not help.",
    ),
    # --- the kiosk command's own lines, for staff at a terminal (issue 9) ----------------
    # Error labels: the detail that follows them is the error's own text.
    "cli_config_error": ("配置有误", "Configuration error"),
    "cli_unreachable": ("暂时无法连接取号服务", "The kiosk service is not reachable"),
    "cli_error": ("操作未能完成", "The command could not be completed"),
    "cli_no_change": ("没有变化", "No change"),
    "cli_config_ok": ("配置正确", "Configuration OK"),
    # Labels of `kiosk status` and `kiosk check-config`: "label: value".
    "cli_label_branch": ("网点", "branch"),
    "cli_label_services": ("业务", "services"),
    "cli_label_counters": ("窗口", "counters"),
    "cli_label_open_on": ("每周营业", "open on"),
    "cli_label_holidays": ("节假日", "holidays"),
    "cli_label_storage": ("数据库", "storage"),
    "cli_label_socket": ("控制接口", "control socket"),
    "cli_label_day": ("营业日", "business day"),
    "cli_label_issued_today": ("今日取号", "issued today"),
    "cli_label_device": ("设备", "device"),
    "cli_label_next": ("下一位", "next"),
    "cli_waiting": ("等候 {waiting} 人，约 {minutes} 分钟", "{waiting} waiting, ~{minutes} min"),
    "cli_counter_open": ("服务中", "open"),
    "cli_counter_paused": ("暂停服务", "paused"),
    "cli_counter_closed": ("已关闭", "closed"),
    # One line per event in `kiosk events` and in a command's answer.
    "cli_event_day_started": ("营业日 {day} 开始", "business day {day} started"),
    "cli_event_issued": (
        "已取号 {ticket}（{service_zh}），前面 {ahead} 位，约 {wait_minutes} 分钟",
        "ticket {ticket} issued, {ahead} ahead, ~{wait_minutes} min",
    ),
    "cli_event_issued_priority": ("，优先：{priority}", ", priority: {priority}"),
    "cli_event_called": ("请 {ticket} 号到 {counter} 号窗口", "{ticket} called to counter {counter}"),
    "cli_event_recalled": (
        "再次呼叫 {ticket} 号到 {counter} 号窗口（第 {recalls} 次）",
        "{ticket} recalled to counter {counter} (recall {recalls})",
    ),
    "cli_event_no_show": ("{ticket} 号过号（{why}）", "{ticket} marked no-show ({why})"),
    "cli_event_reinstated": (
        "{ticket} 号已恢复，排在队首", "{ticket} reinstated at the head of the queue",
    ),
    "cli_event_finished": (
        "{ticket} 号在 {counter} 号窗口办结", "{ticket} finished at counter {counter}",
    ),
    "cli_event_transferred_counter": (
        "{ticket} 号从 {from_counter} 号窗口转到 {to_counter} 号窗口",
        "{ticket} transferred from counter {from_counter} to counter {to_counter}",
    ),
    "cli_event_transferred_service": (
        "{ticket} 号从 {from_counter} 号窗口转办 {to_service} 业务",
        "{ticket} transferred from counter {from_counter} to service {to_service}",
    ),
    "cli_event_paused": ("{counter} 号窗口暂停服务", "counter {counter} paused"),
    "cli_event_paused_redirect": ("，请到 {redirect} 号窗口", ", redirect to {redirect}"),
    "cli_event_paused_stranded": (
        "；{services} 业务暂无开放窗口", "; no open counter left for {services}",
    ),
    "cli_event_resumed": ("{counter} 号窗口恢复服务", "counter {counter} resumed"),
    "cli_event_opened": ("{counter} 号窗口开放", "counter {counter} opened"),
    "cli_event_closed": ("{counter} 号窗口关闭", "counter {counter} closed"),
    "cli_event_device_status": ("设备 {device}：{status}{detail}", "device {device}: {status}{detail}"),
    "cli_event_rated": ("{ticket} 号评价：{score}", "{ticket} rated {score}"),
    "cli_event_reprinted": ("已补打 {ticket} 号凭条", "ticket {ticket} reprinted"),
    "cli_event_device_ticket": ("（涉及 {ticket} 号）", " (ticket {ticket})"),
    "cli_event_other": ("事件 {type}", "event {type}"),
    # --- reprint as a command (issue 9) -------------------------------------------------
    "nothing_to_reprint": (
        "抱歉，今天还没有发出号票，暂无可补打的凭条。请取号后再补打，谢谢。",
        "Sorry, no ticket has been issued today, so there is none to reprint yet. Please "
        "take a number first. Thank you.",
    ),
    # --- persistent control connections and the watch stream (issue 10) ----------------
    "watch_behind": (
        "抱歉，本连接接收事件太慢，已落后 {events} 条，连接已断开。请重新连接，将收到最新状态，谢谢。",
        "Sorry, this connection fell {events} events behind and was closed. Please "
        "reconnect to receive the current status. Thank you.",
    ),
    "cli_watch_closed": (
        "取号服务关闭了连接，请稍候再试", "The kiosk service closed the connection; please try again shortly",
    ),
    # --- printer link speed (issue 11) ---------------------------------------------------
    "printer_wire_slow": (
        "提示：按当前打印机设置（{mode} 模式，{link}），每张号票约 {bytes} 字节，传输约需 {seconds} 秒"
        "（建议不超过 {limit} 秒），顾客需在取号机前等候。建议：{fix_zh}。",
        "Note: with the current printer settings ({mode} mode, {link}) each ticket is about "
        "{bytes} bytes and takes about {seconds} s on the wire (aim for {limit} s or less), "
        "while the customer waits at the kiosk. To fix: {fix_en}.",
    ),
    "printer_wire_fix_gb18030": (
        '若打印机自检页列有 GB18030/GBK 中文字库，请设置 chinese_mode = "gb18030"（约 {seconds} 秒）',
        'set chinese_mode = "gb18030" (about {seconds} s) if the printer\'s self-test page '
        "lists a GB18030/GBK font",
    ),
    "printer_wire_fix_baud": (
        "将波特率提高到 {baud}（约 {seconds} 秒；打印机的 DIP 开关与 URL 中的 baudrate 请设为一致）",
        "raise the baud rate to {baud} (about {seconds} s; set the printer's DIP switches "
        "and the URL's baudrate alike)",
    ),
    "printer_wire_fix_link": (
        "改用 USB 或网络（tcp://）连接打印机", "connect the printer by USB or network (tcp://)",
    ),
    "printer_wire_unknown": (
        "提示：暂时无法估算号票的传输时间：{why}", "Note: the ticket's time on the wire could not be estimated: {why}",
    ),
    # --- the appliance: doctor, backups, support bundle (issue 14) -----------------------
    "doctor_summary": (
        "检查完成：{ok} 项正常，{warn} 项请留意，{fail} 项需要处理。",
        "Checks done: {ok} ok, {warn} to keep an eye on, {fail} to fix.",
    ),
    "doctor_fix": ("处理方法：{fix}", "To fix: {fix}"),
    "doctor_not_checked": (
        "配置有效后才能检查此项。", "This is checked once the config is valid.",
    ),
    "doctor_config_ok": ("配置有效（{source}）。", "The config is valid ({source})."),
    "doctor_config_bad": ("配置有误：{error}", "The config has a problem: {error}"),
    "doctor_config_bad_fix": (
        "请按提示修改该设置，再用 kiosk check-config {path} 检查。",
        "please correct that setting, then check it with kiosk check-config {path}",
    ),
    "doctor_service_running": (
        "取号服务正在运行（控制接口 {socket}）；以下设备状态由服务报告。",
        "The kiosk service is running (control socket {socket}); it reports the devices below.",
    ),
    "doctor_service_stopped": (
        "取号服务未运行（{why}）；以下设备为直接检查。",
        "The kiosk service is not running ({why}); the devices below were checked directly.",
    ),
    "doctor_service_stopped_fix": (
        "请启动服务：sudo systemctl start counter-kiosk，并查看 journalctl -u counter-kiosk",
        "start it with sudo systemctl start counter-kiosk, and see journalctl -u counter-kiosk",
    ),
    "doctor_live_device": (
        "取号服务报告 {device}：{status} {detail}", "The kiosk service reports {device}: {status} {detail}",
    ),
    "doctor_live_device_fix": (
        "详情请查看 journalctl -u counter-kiosk；如需直接检查设备，请先停止服务再运行 kiosk doctor",
        "see journalctl -u counter-kiosk; to check the device directly, stop the service and "
        "run kiosk doctor again",
    ),
    "doctor_printer_ok": ("打印机 {url} 有应答，纸张充足。", "The printer {url} answers; the paper is fine."),
    "doctor_printer_sim": (
        "打印机为模拟设备（{url}），号票保存为图片。", "The printer is simulated ({url}): tickets are saved as images.",
    ),
    "doctor_printer_no_status": (
        "打印机 {url} 只能写入，无法查询纸张状态。", "The printer {url} is write-only, so its paper status cannot be read.",
    ),
    "doctor_printer_no_status_fix": (
        "如需纸张状态，请改用 usb://、tcp:// 或 serial:// 连接", "for paper status, connect it as usb://, tcp:// or serial://",
    ),
    "doctor_printer_paper_low": (
        "打印机 {url} 的纸快用完了（{detail}）。", "The printer {url} is nearly out of paper ({detail}).",
    ),
    "doctor_printer_paper_low_fix": ("请尽快换上新纸卷", "please put in a new paper roll soon"),
    "doctor_printer_fault": ("打印机 {url} 报告：{status}（{detail}）。", "The printer {url} reports: {status} ({detail})."),
    "doctor_printer_fault_fix": (
        "请检查纸卷和打印机盖，排除卡纸，再按打印机上的进纸键",
        "check the paper roll and the cover, clear any jam, then press the printer's feed button",
    ),
    "doctor_printer_unreachable": ("无法连接打印机 {url}：{why}", "The printer {url} cannot be reached: {why}"),
    "doctor_printer_unreachable_fix": (
        "请检查打印机电源、USB 线或网线，以及配置中的 printer.url",
        "check the printer's power, its USB or network cable, and printer.url in the config",
    ),
    "doctor_printer_not_escpos": (
        "{url} 有应答，但不是 ESC/POS 打印机的状态。", "Something answers at {url}, but not with ESC/POS printer status.",
    ),
    "doctor_printer_not_escpos_fix": (
        "请确认 printer.url 指向的是打印机", "check that printer.url points at the printer",
    ),
    "doctor_displays_none": ("未配置叫号显示屏。", "No call displays are configured."),
    "doctor_displays_ok": ("叫号显示屏的端口均可打开：{names}。", "Every call display port opens: {names}."),
    "doctor_display_missing": (
        "显示屏 {name} 的端口 {url} 打不开：{why}", "The port {url} of display {name} cannot be opened: {why}",
    ),
    "doctor_display_missing_fix": (
        "请检查显示屏的电源和 USB 串口线；它应出现在 /dev/serial/by-id/ 下（ls -l /dev/serial/by-id/）",
        "check the display's power and its USB serial cable; it should appear under "
        "/dev/serial/by-id/ (ls -l /dev/serial/by-id/)",
    ),
    "doctor_gpio_none": ("未配置窗口按键。", "No counter buttons are configured."),
    "doctor_gpio_ok": ("按键引脚 {pins} 均空闲可用。", "The button pins {pins} are free."),
    "doctor_gpio_busy": ("引脚 {pin} 无法使用：{why}", "Pin {pin} cannot be used: {why}"),
    "doctor_gpio_busy_fix": (
        "请停止占用该引脚的其他程序，或在配置中改用其他引脚",
        "stop the other program that holds the pin, or use another pin in the config",
    ),
    "doctor_gpio_absent": ("本机无法打开 GPIO：{why}", "This machine cannot open its GPIO: {why}"),
    "doctor_gpio_absent_fix": (
        "在树莓派上请安装 python3-lgpio，并设置 GPIOZERO_PIN_FACTORY=lgpio",
        "on a Raspberry Pi, install python3-lgpio and set GPIOZERO_PIN_FACTORY=lgpio",
    ),
    "doctor_audio_ok": (
        "声音设备 {device} 可用，语音片段齐全（{count} 个）。",
        "The sound device {device} is there and the voice clip pack is complete ({count} clips).",
    ),
    "doctor_audio_sim": (
        "语音为模拟输出（写入 {sink}），语音片段齐全（{count} 个）。",
        "The voice is simulated (written to {sink}); the clip pack is complete ({count} clips).",
    ),
    "doctor_audio_no_device": ("找不到声音设备 {device}：{why}", "The sound device {device} was not found: {why}"),
    "doctor_audio_no_device_fix": (
        "请检查扬声器的连接，用 aplay -L 查看设备名，并设置 audio.device",
        "check the speaker, list the device names with aplay -L, and set audio.device",
    ),
    "doctor_audio_clips_missing": (
        "语音片段缺少或无法读取 {count} 个：{tokens}（目录 {dir}）。",
        "{count} voice clips are missing or unreadable: {tokens} (in {dir}).",
    ),
    "doctor_audio_clips_fix": (
        "请运行 python -m drivers.audio.clips {dir} 生成缺少的片段，或放入同名的录音文件",
        "run python -m drivers.audio.clips {dir} to make the missing clips, or add recorded "
        "files of the same names",
    ),
    "doctor_mqtt_off": ("MQTT 未启用（未设置 mqtt.url）。", "MQTT is off (no mqtt.url)."),
    "doctor_mqtt_ok": (
        "已用此账号连接 {url}，并获准发布到 {topic}。",
        "Connected to {url} with these credentials, and allowed to publish to {topic}.",
    ),
    "doctor_mqtt_unreachable": ("无法连接消息服务器 {url}：{why}", "The broker {url} cannot be reached: {why}"),
    "doctor_mqtt_unreachable_fix": (
        "请检查网络、服务器地址和端口（mqtt.url），以及服务器是否在运行",
        "check the network, the broker's address and port (mqtt.url), and that the broker runs",
    ),
    "doctor_mqtt_refused": ("消息服务器 {url} 拒绝了登录：{why}", "The broker {url} refused the log-in: {why}"),
    "doctor_mqtt_refused_fix": (
        "请核对 mqtt.username 和密码文件 {password_file}，与网点服务器上的账号一致",
        "check mqtt.username and the password file {password_file} against the account on "
        "the branch server",
    ),
    "doctor_mqtt_denied": ("消息服务器不允许发布到 {topic}：{why}", "The broker does not let this kiosk publish to {topic}: {why}"),
    "doctor_mqtt_denied_fix": (
        "请在服务器的 ACL 中允许账号 {user} 写入 {pattern}",
        "let user {user} write to {pattern} in the broker's ACL",
    ),
    "doctor_mqtt_password_unreadable": ("无法读取密码文件 {path}：{why}", "The password file {path} cannot be read: {why}"),
    "doctor_mqtt_password_fix": (
        "请确认该文件存在，且 kiosk 用户可读（chgrp kiosk，chmod 640）",
        "check that the file exists and the kiosk user can read it (chgrp kiosk, chmod 640)",
    ),
    "doctor_clock_ok": ("时钟已同步（{now}）。", "The clock is synchronised ({now})."),
    "doctor_clock_unsynced": (
        "时钟尚未同步（现在显示 {now}）；同步之前，取号机不会开始新的营业日。",
        "The clock is not synchronised yet (it shows {now}); the kiosk starts no new business "
        "day until it is.",
    ),
    "doctor_clock_unsynced_warn": (
        "时钟尚未同步（现在显示 {now}），号票上的时间可能不准。",
        "The clock is not synchronised yet (it shows {now}); times on tickets may be off.",
    ),
    "doctor_clock_fix": (
        "请检查网络和对时服务：timedatectl timesync-status；树莓派没有电池时钟，开机后需联网对时",
        "check the network and time sync: timedatectl timesync-status; a Raspberry Pi has no "
        "battery clock and sets its time from the network after boot",
    ),
    "doctor_disk_ok": ("{dir} 所在磁盘剩余 {free}（{percent}%）。", "{free} free ({percent} %) on the disk of {dir}."),
    "doctor_disk_low": ("{dir} 所在磁盘只剩 {free}（{percent}%）。", "Only {free} ({percent} %) left on the disk of {dir}."),
    "doctor_disk_fix": (
        "请删除不需要的文件（旧备份在 {backups}），或换用更大的存储卡",
        "remove files that are not needed (old backups are in {backups}), or use a larger card",
    ),
    "doctor_journal_ok": (
        "系统日志有大小上限（SystemMaxUse={limit}），目前占用 {used}。",
        "The system log has a size limit (SystemMaxUse={limit}); it uses {used} now.",
    ),
    "doctor_journal_unlimited": (
        "系统日志没有设置大小上限（{dropin} 不存在），日志会持续增长并磨损存储卡。",
        "The system log has no size limit ({dropin} is missing), so it keeps growing and "
        "wears the SD card.",
    ),
    "doctor_journal_fix": (
        "请运行 sudo deploy/install.sh，它会安装 {dropin}", "run sudo deploy/install.sh, which installs {dropin}",
    ),
    "doctor_journal_over": (
        "系统日志占用 {used}，超过了上限 {limit}。", "The system log uses {used}, more than its limit {limit}.",
    ),
    "doctor_journal_over_fix": (
        "请运行 sudo systemctl restart systemd-journald 以加载上限，再运行 sudo journalctl --vacuum-size={limit}",
        "run sudo systemctl restart systemd-journald to load the limit, then sudo journalctl "
        "--vacuum-size={limit}",
    ),
    "doctor_db_ok": (
        "数据库通过完整性检查，结构版本 {version}，共 {events} 条事件；最新备份：{backup}。",
        "The database passes its integrity check: schema version {version}, {events} events; "
        "newest backup: {backup}.",
    ),
    "doctor_db_absent": (
        "数据库 {path} 尚未建立，取号服务首次启动时会建立。",
        "The database {path} does not exist yet; the kiosk creates it at its first start.",
    ),
    "doctor_db_corrupt": ("数据库 {path} 未通过完整性检查：{detail}", "The database {path} fails its integrity check: {detail}"),
    "doctor_db_old_schema": (
        "数据库结构版本 {version} 较旧（本程序为 {latest}），下次启动时会自动升级。",
        "The database schema version {version} is older than this kiosk's ({latest}); it is "
        "upgraded at the next start.",
    ),
    "doctor_db_new_schema": (
        "数据库结构版本 {version} 比本程序（{latest}）新。", "The database schema version {version} is newer than this kiosk's ({latest}).",
    ),
    "doctor_db_new_schema_fix": (
        "请安装较新版本的取号程序，或从备份恢复", "install the newer kiosk version, or restore a backup",
    ),
    "doctor_db_unreadable": ("无法读取数据库 {path}：{why}", "The database {path} cannot be read: {why}"),
    "doctor_db_unreadable_fix": (
        "请以 root 或 kiosk 用户运行 kiosk doctor，并检查文件权限",
        "run kiosk doctor as root or as the kiosk user, and check the file's permissions",
    ),
    "store_restore_newest": (
        "最新的备份是 {backup}。恢复方法：sudo systemctl stop counter-kiosk；"
        "sudo -u kiosk kiosk backup --restore {name}；sudo systemctl start counter-kiosk。",
        "The newest backup is {backup}. To restore it: sudo systemctl stop counter-kiosk; "
        "sudo -u kiosk kiosk backup --restore {name}; sudo systemctl start counter-kiosk.",
    ),
    "store_restore_none": ("在 {dir} 中没有找到备份。", "No backup was found in {dir}."),
    "backup_written": ("备份已写入 {path}（共保留 {count} 份）。", "Backup written to {path} ({count} kept)."),
    "backup_failed": ("抱歉，数据库 {db} 未能备份：{why}", "Sorry, the database {db} could not be backed up: {why}"),
    "backup_restored": (
        "已从 {backup} 恢复数据库 {db}，原文件已移到 {aside}。请启动服务：sudo systemctl start counter-kiosk",
        "The database {db} is restored from {backup}; the previous file was moved to {aside}. "
        "Please start the service: sudo systemctl start counter-kiosk",
    ),
    "backup_restore_failed": ("抱歉，未能从 {backup} 恢复：{why}", "Sorry, {backup} could not be restored: {why}"),
    "backup_keep_invalid": ("--keep 至少为 1（现为 {keep}）。", "--keep must be at least 1 (it is {keep})."),
    "support_bundle_written": (
        "支持包已写入 {path}，请发给信息技术支持人员，谢谢。",
        "The support bundle is written to {path}. Please send it to IT support. Thank you.",
    ),
    "doctor_screen_ok": (
        "触摸屏可以直接在显示器上绘制（SDL2 KMS/DRM）。", "The touchscreen can draw straight on the display (SDL2 KMS/DRM).",
    ),
    "doctor_screen_no_kivy": ("未安装 Kivy，本机不显示触摸屏。", "Kivy is not installed, so this machine shows no touchscreen."),
    "doctor_screen_no_kivy_fix": (
        "请运行 sudo deploy/install.sh，它会安装带 Kivy 的程序", "run sudo deploy/install.sh, which installs the kiosk with Kivy",
    ),
    "doctor_screen_libs": ("触摸屏所需的图形库无法加载：{libs}（{why}）。", "Graphics libraries the touchscreen needs cannot be loaded: {libs} ({why})."),
    "doctor_screen_libs_fix": (
        "请安装：sudo apt install libdrm2 libgbm1 libegl1 libgles2",
        "install them: sudo apt install libdrm2 libgbm1 libegl1 libgles2",
    ),
    "doctor_screen_no_kmsdrm": (
        "{sdl} 不含 KMS/DRM 显示驱动（只有 {drivers}），无桌面时无法显示。",
        "{sdl} has no KMS/DRM video driver (only {drivers}), so it cannot draw without a desktop.",
    ),
    "doctor_screen_no_kmsdrm_fix": (
        "请按 docs/appliance.md 的备用方法，用 Debian 的 SDL2 重新编译 Kivy",
        "build Kivy against Debian's SDL2, as the fallback in docs/appliance.md describes",
    ),
    "doctor_screen_no_drm": ("找不到显示设备 {dri}。", "No display device {dri} was found."),
    "doctor_screen_no_drm_fix": (
        "请检查显示器连接，并确认 /boot/firmware/config.txt 中启用了 dtoverlay=vc4-kms-v3d",
        "check the display's cable, and that /boot/firmware/config.txt enables "
        "dtoverlay=vc4-kms-v3d",
    ),
    # --- end of the appliance -------------------------------------------------------------
    # --- MQTT link and outbox relay, for branch IT (issue 12) ----------------------------
    "mqtt_connected": (
        "已连接消息服务器 {url}", "connected to the MQTT broker {url}",
    ),
    "mqtt_auth_refused": (
        "消息服务器 {url} 拒绝登录（{reason}）。请核对 mqtt.username 和 mqtt.password_file 中的密码，"
        "并确认服务器的密码文件中有此用户。",
        "The MQTT broker {url} refused the log-in ({reason}). Please check mqtt.username "
        "and the password in mqtt.password_file against the broker's password file.",
    ),
    "mqtt_refused": (
        "消息服务器 {url} 拒绝连接（{reason}）。请查看服务器日志，核对本机的 mqtt 设置。",
        "The MQTT broker {url} refused the connection ({reason}). Please check the broker's "
        "log and this kiosk's [mqtt] settings.",
    ),
    "mqtt_tls_failed": (
        "与消息服务器 {url} 的加密连接失败。请核对 mqtt.ca_file、cert_file、key_file，"
        "以及 url 中的主机名是否与服务器证书一致（{error}）。",
        "The TLS connection to the MQTT broker {url} failed. Please check mqtt.ca_file, "
        "cert_file and key_file, and that the url's host matches the certificate ({error})",
    ),
    "mqtt_unreachable": (
        "暂时无法连接消息服务器 {url}，正在自动重试，事件保存在本机，恢复后按顺序补发。"
        "请检查网络，以及服务器是否在运行、地址和端口是否正确（{error}）。",
        "The MQTT broker {url} cannot be reached; retrying, events wait here. Please "
        "check the network and that the broker runs at that address and port ({error})",
    ),
    "mqtt_lost": (
        "与消息服务器 {url} 的连接中断（{reason}），正在重连；事件保存在本机，恢复后按顺序补发。",
        "The connection to the MQTT broker {url} was lost ({reason}); reconnecting. Events "
        "are kept on this kiosk and sent in order once it is back.",
    ),
    "mqtt_setup_failed": (
        "消息服务未能启动（{error}）。请检查 [mqtt] 设置中的文件；取号不受影响，事件保存在本机。",
        "MQTT could not start ({error}). Please check the files named in [mqtt]; issuing "
        "tickets is not affected and events are kept on this kiosk.",
    ),
    "mqtt_publish_denied": (
        "消息服务器拒绝发布 {topic}（{reason}）。请在服务器的 ACL 中允许本机发布 {base}/#；"
        "该事件保留在本机待发送。",
        "The MQTT broker refused {topic} ({reason}). Please allow this kiosk to publish to "
        "{base}/# in the broker's ACL; the event waits here.",
    ),
    "mqtt_subscribe_denied": (
        "消息服务器拒绝订阅 {topic}（{reason}）。请在服务器的 ACL 中允许本机读取该主题。",
        "The MQTT broker refused the subscription to {topic} ({reason}). Please allow this "
        "kiosk to read it in the broker's ACL.",
    ),
    "mqtt_backlog_alarm": (
        "有 {backlog} 条事件尚未送达消息服务器（告警阈值 {alarm}）。事件保存在本机，连接恢复后按顺序补发。",
        "{backlog} events have not reached the MQTT broker yet (alarm at {alarm}). They are "
        "kept on this kiosk and sent in order once the broker accepts them.",
    ),
    "mqtt_relay_failed": (
        "事件转发出错（{error}），{seconds} 秒后重试；事件保存在本机，不会丢失。如反复出现，请检查存储并重启取号服务。",
        "Sending events failed ({error}); trying again in {seconds} s. Events are kept on "
        "this kiosk. If this repeats, please check the storage and restart the kiosk service.",
    ),
    "mqtt_backlog_cleared": (
        "待发送的事件已全部送达消息服务器，谢谢。", "All queued events have reached the MQTT broker.",
    ),
    # --- MQTT: remote commands, Home Assistant discovery, kiosk monitor (issue 12) ---------
    "ha_model": ("取号机", "Take-a-number kiosk"),
    "ha_waiting": ("{prefix} {name_zh} 等候人数", "{prefix} {name_en} waiting"),
    "ha_counter": ("{counter}号窗口", "Counter {counter}"),
    "ha_printer": ("取号打印机", "Ticket printer"),
    "ha_outbox_backlog": ("待发送消息", "Outbox backlog"),
    "ha_outbox_alarm": ("待发送消息积压", "Outbox backlog alarm"),
    "ha_issued_today": ("今日取号", "Tickets issued today"),
    "ha_people_unit": ("人", "people"),
    "ha_events_unit": ("条", "events"),
    "ha_tickets_unit": ("张", "tickets"),
    "mon_title": ("网点 {branch} 的取号机（{broker}）", "Kiosks of branch {branch} ({broker})"),
    "mon_kiosk": ("取号机", "kiosk"),
    "mon_availability": ("在线", "online"),
    "mon_printer": ("打印机", "printer"),
    "mon_counters": ("窗口", "counters"),
    "mon_waiting": ("等候", "waiting"),
    "mon_outbox": ("待发送", "outbox"),
    "mon_last_event": ("最近事件", "last event"),
    "mon_online": ("在线", "online"),
    "mon_offline": ("离线", "offline"),
    "mon_unknown": ("未知", "unknown"),
    "mon_ago": ("{age}前", "{age} ago"),
    "mon_none_yet": (
        "暂未收到本网点任何取号机的消息，请稍候，或核对服务器地址、前缀和网点代码。",
        "No kiosk of this branch has been heard from yet. Please wait a moment, or check "
        "the broker address, the prefix and the branch code.",
    ),
    "mon_connect_failed": (
        "抱歉，暂时无法连接 MQTT 服务器 {broker}（{detail}），请检查地址、用户名和密码后再试。",
        "Sorry, the MQTT broker {broker} could not be reached ({detail}). Please check the "
        "address, user name and password, then try again.",
    ),
    "mon_refused": (
        "抱歉，MQTT 服务器 {broker} 没有接受登录（{detail}），请核对 --username 和密码文件后再试。",
        "Sorry, the MQTT broker {broker} did not accept the log-in ({detail}). Please check "
        "--username and the password file, then try again.",
    ),
    "mon_no_branch": (
        "请用 --branch 指定网点代码，或用 --config 指定含 [branch] code 的配置文件。",
        "Please give the branch code with --branch, or a config file with [branch] code "
        "with --config.",
    ),
    # --- end of MQTT ------------------------------------------------------------------------
    # --- touchscreen: hall board, staff panel, staff PIN (issue 13) ----------------------
    "hall_title": ("叫号信息", "Now calling"),
    "hall_call": ("{ticket} → {counter}号窗口", "{ticket} → Counter {counter}"),
    "hall_to_counter": ("请到 {counter} 号窗口", "Number {ticket}, please go to counter {counter}"),
    "hall_recent": ("最近叫号", "Recent calls"),
    "hall_counters": ("窗口服务状态", "Counters"),
    "hall_no_calls": ("您好，欢迎光临，请取号后留意叫号", "Welcome. Please take a number and listen for your call"),
    "hall_counter": ("{counter}号窗口", "Counter {counter}"),
    "hall_serving": ("正在办理 {ticket}", "Serving {ticket}"),
    "hall_open": ("欢迎办理", "Open"),
    "hall_paused": ("暂停服务", "Paused"),
    "hall_paused_redirect": ("暂停服务 → 请到{redirect}号窗口", "Paused: please use counter {redirect}"),
    "hall_closed": ("未开放", "Closed"),
    "hall_courtesy": (
        "请留意叫号，过号的客户请到大堂服务台咨询。谢谢您的耐心等候，很高兴为您服务。",
        "Please listen for your number. If you missed your call, please ask at the lobby "
        "desk. Thank you for your patience; we are glad to serve you.",
    ),
    "staff_title": ("员工操作", "Staff panel"),
    "staff_pin_prompt": ("请输入员工密码", "Please enter the staff PIN"),
    "staff_pin_checking": ("正在验证，请稍候", "Checking, please wait"),
    "staff_pin_wrong": ("密码不正确，请重新输入（还可尝试 {left} 次）", "The PIN is not correct; please try again ({left} tries left)"),
    "staff_pin_locked": (
        "输入错误次数较多，员工操作已暂时锁定，请 {minutes} 分钟后再试。",
        "Too many wrong PINs: the staff panel is locked for now. Please try again in "
        "{minutes} min.",
    ),
    "staff_pin_none": (
        "尚未设置员工密码，员工操作已锁定。\n请管理员运行 kiosk hash-pin，把显示的 "
        "staff_pin_hash 一行写入配置文件的 [ui] 部分，然后重启取号机。",
        "No staff PIN is set, so the staff panel is locked. An administrator can run "
        "kiosk hash-pin, add the staff_pin_hash line it prints under [ui] in the config "
        "file, then restart the kiosk.",
    ),
    "staff_key_clear": ("清除", "Clear"),
    "staff_key_enter": ("确定", "Enter"),
    "staff_back": ("返回", "Back"),
    "staff_lock": ("锁定并返回", "Lock and return"),
    "staff_leave_kiosk": ("退出自助模式", "Leave kiosk mode"),
    "staff_confirm_leave": (
        "退出自助模式？取号屏幕将关闭，直到取号机重新启动界面。",
        "Leave kiosk mode? The touchscreen closes until the kiosk starts it again.",
    ),
    "staff_tab_counters": ("窗口", "Counters"),
    "staff_tab_queue": ("排队", "Queue"),
    "staff_tab_devices": ("设备", "Devices"),
    "staff_tab_priority": ("优先号", "Priority"),
    "staff_open": ("开放", "Open"),
    "staff_close": ("关闭", "Close"),
    "staff_pause": ("暂停", "Pause"),
    "staff_resume": ("恢复服务", "Resume"),
    "staff_transfer": ("转办", "Transfer"),
    "staff_reinstate": ("恢复过号", "Reinstate"),
    "staff_reprint": ("补打上一张凭条", "Reprint last ticket"),
    "staff_pause_reason": ("请选择暂停原因", "Please choose the reason for the pause"),
    "staff_reason_break": ("临时离开", "Stepping away"),
    "staff_reason_meeting": ("业务交接", "Handover"),
    "staff_reason_system": ("系统维护", "System maintenance"),
    "staff_redirect": ("请选择引导客户前往的窗口", "Send waiting customers to which counter?"),
    "staff_no_redirect": ("不引导", "No redirect"),
    "staff_transfer_to": ("请选择转办的业务或窗口", "Transfer to which service or counter?"),
    "staff_transfer_service": ("{service_zh}业务", "{service_en}"),
    "staff_confirm": ("确认", "Confirm"),
    "staff_cancel": ("取消", "Cancel"),
    "staff_confirm_close": (
        "关闭{counter}号窗口？关闭后本窗口不再叫号，等候的客户由其他窗口办理。",
        "Close counter {counter}? It calls no more customers; those waiting are served at "
        "other counters.",
    ),
    "staff_confirm_close_stranded": (
        "请注意：关闭后“{services_zh}”将没有开放的窗口。",
        "Note: {services_en} will then have no open counter.",
    ),
    "staff_confirm_reinstate": (
        "恢复过号的{ticket}号？该客户将排在队首，下一位被叫到。",
        "Reinstate {ticket}? The customer goes to the head of the queue and is called next.",
    ),
    "staff_confirm_transfer": (
        "把{counter}号窗口正在办理的{ticket}号转到{target_zh}？客户保留原来的排队位置。",
        "Transfer {ticket} from counter {counter} to {target_en}? The customer keeps their "
        "place in the queue.",
    ),
    "staff_target_counter": ("{counter}号窗口", "counter {counter}"),
    "staff_done": ("已完成，谢谢", "Done, thank you"),
    "staff_reprinted": ("已补打{ticket}号凭条，请取走", "Ticket {ticket} reprinted; please take it"),
    "staff_priority_issued": ("优先号 {ticket} 已发放（{reason}）", "Priority ticket {ticket} issued ({reason})"),
    "staff_queue_service": ("{service_zh}：等候 {waiting} 人，约 {minutes} 分钟", "{service_en}: {waiting} waiting, ~{minutes} min"),
    "staff_queue_next": ("下一位：{tickets}", "Next: {tickets}"),
    "staff_queue_empty": ("暂无等候", "Nobody waiting"),
    "staff_no_shows": ("今日过号：{tickets}", "Missed today: {tickets}"),
    "staff_no_shows_none": ("今日暂无过号", "No missed tickets today"),
    "staff_priority_title": ("发放优先号：请选择原因和业务", "Priority ticket: choose the reason, then the service"),
    "staff_priority_elderly": ("老年客户", "Elderly customer"),
    "staff_priority_disabled": ("行动不便", "Disability"),
    "staff_priority_urgent": ("紧急事项", "Urgent matter"),
    "staff_device_printer": ("取号打印机", "Ticket printer"),
    "staff_device_display": ("显示屏", "Display"),
    "staff_device_voice": ("语音播报", "Voice"),
    "staff_device_buttons": ("窗口按键", "Counter buttons"),
    "staff_device_mqtt": ("网点消息服务器", "Branch broker (MQTT)"),
    "staff_device_outbox": ("待发送消息", "Outbox backlog"),
    "staff_device_ok": ("正常", "OK"),
    "staff_device_paper_low": ("票纸将用完，请及时更换", "Paper low: please refill soon"),
    "staff_device_paper_out": ("缺纸，请更换票纸", "Out of paper: please refill"),
    "staff_device_cover_open": ("机盖未关好，请关好", "Cover open: please close it"),
    "staff_device_offline": ("未连接，请检查线缆和电源", "Offline: please check cable and power"),
    "staff_device_error": ("故障，请检查", "Fault: please check"),
    "staff_device_absent": ("未安装", "Not fitted"),
    "staff_device_none": ("暂无设备状态", "No device has reported yet"),
    "staff_offline": ("暂时无法连接取号服务，请稍候", "The kiosk service is not reachable; please wait a moment"),
    # --- end of touchscreen: hall board, staff panel, staff PIN -----------------------------
    # --- touchscreen: app, customer screen, confirmation (issue 13) ----------------------
    "ui_greeting": ("您好，欢迎光临", "Hello, welcome"),
    "ui_clock": ("{date} 周{weekday_zh} {time}", "{weekday_en} {date} {time}"),
    "ui_date": ("{date} 周{weekday_zh}", "{weekday_en}"),
    "ui_weekdays": ("一 二 三 四 五 六 日", "Mon Tue Wed Thu Fri Sat Sun"),
    "ui_tap_hint": ("请点击所需业务取号", "Tap a service to take a number"),
    "ui_hotline": ("服务及投诉热线 {hotline}", "Service & complaints hotline {hotline}"),
    "ui_waiting": ("等候 {waiting} 人", "{waiting} waiting"),
    "ui_waiting_none": ("暂无等候", "No one waiting"),
    "ui_wait_about": ("约 {minutes} 分钟", "About {minutes} min"),
    "ui_take_now": ("请直接取号", "Take a number now"),
    "ui_no_counter": ("暂停办理", "Not available now"),
    "ui_ask_staff": ("请咨询大堂工作人员", "Please ask our lobby staff"),
    "ui_paused": ("窗口暂停服务，稍后恢复", "Counter paused; back shortly"),
    "ui_elsewhere": ("本网点暂不办理", "Not offered at this branch"),
    "ui_elsewhere_where": (
        "抱歉，本网点暂不办理“{name_zh}”业务。请到{where_zh}办理，谢谢您的理解。",
        "Sorry, {name_en} is not offered at this branch. Please visit {where_en}. Thank "
        "you for understanding.",
    ),
    "ui_ok": ("好的", "OK"),
    "ui_your_number": ("您的号码", "Your number"),
    "ui_counter_one": ("请留意 {counters} 号窗口叫号", "Please watch counter {counters}"),
    "ui_counter_many": ("请留意 {counters} 号窗口叫号", "Please watch counters {counters}"),
    "ui_take_ticket": ("请取走凭条，谢谢您的耐心等候", "Please take your ticket. Thank you for waiting"),
    "ui_not_printed": ("凭条打印暂时不可用，请记下您的号码 {ticket}", "The ticket could not be printed. Please note your number {ticket}"),
    "ui_returns_in": ("轻触屏幕返回（{seconds}）", "Tap to return ({seconds})"),
    "ui_please_wait": ("请稍候", "Please wait a moment"),
    "ui_please_wait_detail": ("取号服务正在准备，马上就好，谢谢您的耐心", "The kiosk is getting ready. Thank you for your patience"),
    "ui_closed_title": ("您好，现在是非营业时间", "Hello, we are closed at the moment"),
    "ui_closed_next": ("{next_open_zh}开始办理，欢迎再来", "We open {next_open_en}. You are welcome to come back"),
    "ui_closed_unknown": ("营业时间请见大厅公告，欢迎再来", "Please see the opening hours posted in the hall"),
    "ui_clock_title": ("马上就可以取号", "Tickets will be available in a moment"),
    "ui_dev_pause_reason": ("临时离开", "Stepping away"),
    "ui_no_screen": (
        "未找到显示屏（没有 DISPLAY / WAYLAND_DISPLAY，也没有可用的 /dev/dri 显卡），取号机以无屏幕方式运行；按键、打印和叫号照常工作。",
        "No screen found (no DISPLAY or WAYLAND_DISPLAY, and no usable /dev/dri card): the "
        "kiosk runs headless; buttons, printing and calls work as usual.",
    ),
    "ui_restarting": ("触摸屏界面意外退出，{seconds} 秒后重新启动", "The touchscreen stopped unexpectedly; restarting it in {seconds} s"),
    # --- end of touchscreen: app, customer screen, confirmation ---------------------------

    # --- service-quality reports: kiosk report, shift sheet, charts (issue 15) -----------
    "report_title": ("服务质量统计", "Service-quality figures"),
    "report_shift_title": ("交接班统计表", "Shift handover sheet"),
    "report_period": ("统计期间：{period_zh}", "Period: {period_en}"),
    "report_section_services": ("按业务", "By service"),
    "report_section_counters": ("按窗口", "By counter"),
    "report_section_notes": ("说明", "Notes"),
    "report_col_name": ("名称", "Name"),
    "report_col_issued": ("取号", "Issued"),
    "report_col_served": ("办结", "Served"),
    "report_col_no_show": ("过号", "No-show"),
    "report_col_unserved": ("未办", "Unserved"),
    "report_col_wait_mean": ("平均等候", "Wait mean"),
    "report_col_wait_median": ("等候中位", "Wait median"),
    "report_col_wait_p90": ("等候P90", "Wait p90"),
    "report_col_wait_max": ("最长等候", "Wait max"),
    "report_col_over": ("超{minutes}分钟", "Over {minutes} min"),
    "report_col_service_mean": ("平均办理", "Service mean"),
    "report_col_service_p90": ("办理P90", "Service p90"),
    "report_col_no_counter": ("无窗口(分)", "No counter (min)"),
    "report_col_pause": ("暂停(分)", "Paused (min)"),
    "report_col_utilisation": ("利用率", "Utilisation"),
    "report_col_late": ("迟开(分)", "Late (min)"),
    "report_col_ratings": ("满意/一般/不满意", "Good/fair/poor"),
    "report_col_response": ("评价率", "Response"),
    "report_counter_name": ("{counter}号窗口", "Counter {counter}"),
    "report_all": ("合计", "All"),
    "report_line_peak": ("最多同时等候 {count} 人（{at}）", "Most customers waiting at once: {count} ({at})"),
    "report_line_priority": ("优先号 {count} 张：{reasons}", "Priority tickets: {count} ({reasons})"),
    "report_line_transfers": (
        "转办 {count} 次：{routes}；转办后平均再等候 {rewait} 分钟",
        "Transfers: {count} ({routes}); mean wait after a transfer {rewait} min",
    ),
    "report_line_ratings": (
        "满意度：满意 {good}，一般 {fair}，不满意 {poor}（共 {count} 次评价，评价率 {rate}）",
        "Satisfaction: good {good}, fair {fair}, poor {poor} (ratings: {count}, response rate {rate})",
    ),
    "report_line_pause": ("{counter}号窗口暂停 {minutes} 分钟：{reasons}", "Counter {counter} paused {minutes} min: {reasons}"),
    "report_line_late": (
        "{counter}号窗口 {day} 应于 {opening} 开放，{opened} 开放，晚 {minutes} 分钟",
        "Counter {counter} was due to open at {opening} on {day}, opened {opened}: {minutes} min late",
    ),
    "report_line_not_opened": ("{counter}号窗口 {day} {opening} 起未开放", "Counter {counter} did not open after {opening} on {day}"),
    "report_line_no_counter": (
        "{service} 有客户等候而无开放窗口共 {minutes} 分钟", "{service} had customers waiting and no open counter for {minutes} min",
    ),
    "report_line_after_closing": ("营业时间结束后办结 {count} 张", "Served after closing time: {count}"),
    "report_line_reinstated": ("过号后恢复 {count} 张", "No-shows reinstated: {count}"),
    "report_line_untimed": (
        "{count} 次等候无法计时（取号时时钟有误，或取号记录缺失），未计入平均",
        "{count} waits could not be timed (the ticket was issued under a wrong clock, or its issue is missing from the log); they are left out of the averages",
    ),
    "report_line_still_waiting": ("交班时仍在等候或办理中：{count} 张", "Still waiting or being served at handover: {count}"),
    "report_signature": ("交班人：__________    接班人：__________", "Handed over by: __________    Taken over by: __________"),
    "report_no_events": (
        "抱歉，{period_zh} 没有可统计的记录。请核对日期，或确认取号机当天已营业。",
        "Sorry, there are no events for {period_en}. Please check the date, or whether the kiosk was open then.",
    ),
    "report_bad_date": ("抱歉，日期有误：{why}。请按 YYYY-MM-DD 填写（月份 YYYY-MM）。", "Sorry, the date is not valid: {why}. Please use YYYY-MM-DD (a month: YYYY-MM)."),
    "report_no_store": (
        "抱歉，找不到记录数据库 {path}。请核对配置文件的 storage.path，或先运行一次取号机。",
        "Sorry, the event store {path} was not found. Please check storage.path in the config, or run the kiosk first.",
    ),
    "report_store_unreadable": ("抱歉，记录数据库暂时无法读取：{why}", "Sorry, the event store cannot be read just now: {why}"),
    "report_chart_suffix": ("抱歉，图表文件请以 .pdf、.png 或 .html 结尾：{path}", "Sorry, the chart file must end in .pdf, .png or .html: {path}"),
    "report_no_matplotlib": (
        "抱歉，生成图表需要 matplotlib，请安装 counter-kiosk[report]。表格和导出不受影响。",
        "Sorry, charts need matplotlib: please install counter-kiosk[report]. Tables and exports work without it.",
    ),
    "report_no_cjk_font": (
        "抱歉，未找到中文字体，图表中的中文无法显示。请安装 fonts-noto-cjk 后再试。",
        "Sorry, no Chinese font was found, so the charts could not show Chinese text. Please install fonts-noto-cjk and try again.",
    ),
    "report_chart_failed": (
        "抱歉，图表 {path} 未能生成（绘图进程退出码 {code}，详情见上方信息）。表格和导出不受影响。",
        "Sorry, the chart {path} could not be made (the drawing process exited with {code}; the details are above). Tables and exports are not affected.",
    ),
    "report_written": ("已保存：{path}", "Written: {path}"),
    "report_chart_waiting": ("等候人数", "Customers waiting"),
    "report_chart_waiting_mean": ("平均等候人数（按时段，{days} 天）", "Customers waiting, mean by time of day ({days} days)"),
    "report_chart_wait_dist": ("等候时间分布", "Wait time by service"),
    "report_chart_utilisation": ("窗口利用率与暂停", "Counter utilisation and pauses"),
    "report_axis_customers": ("人", "Customers"),
    "report_axis_minutes": ("分钟", "Minutes"),
    "report_legend_busy": ("办理", "Serving"),
    "report_legend_idle": ("空闲", "Open, idle"),
    "report_legend_paused": ("暂停", "Paused"),
    "report_chart_headline": (
        "取号 {issued}  办结 {served}  过号 {no_show}  平均等候 {wait} 分钟  超时 {over}  满意率 {good}",
        "Issued {issued}  Served {served}  No-show {no_show}  Mean wait {wait} min  Over threshold {over}  Good {good}",
    ),
    "report_chart_footer": ("数据来源：取号机事件记录；不含客户个人信息", "Source: the kiosk's event log; no personal data"),
    # --- end of service-quality reports ------------------------------------------------------
    # --- service quality on the kiosk: daily MQTT summary, staff tab, hall 公示 (issue 15) ---
    "mqtt_summary_failed": (
        "{day} 的每日统计未能发送（{error}）。取号不受影响；可用 kiosk report --day {day} --json 补取。",
        "The daily summary of {day} could not be sent ({error}). Issuing is not affected; "
        "kiosk report --day {day} --json gives the same figures.",
    ),
    "staff_tab_today": ("今日统计", "Today"),
    "staff_today_col_good": ("满意率", "Good"),
    "staff_today_headline": ("今日统计 {day}（截至 {at}）", "Today's figures, {day} (as of {at})"),
    "staff_today_loading": ("正在统计，请稍候…", "Counting today's figures, one moment please…"),
    "staff_today_failed": (
        "抱歉，今日统计暂时无法读取，请稍后再试。", "Sorry, today's figures cannot be read just now; please try again shortly.",
    ),
    "staff_today_note": (
        "统计来自今日取号记录，随办理进度更新；时间单位为分钟；满意率 = 满意评价 / 全部评价。",
        "From today's events, updated as the day goes on; times in minutes; good = good ratings / all ratings.",
    ),
    "hall_public_title": ("今日服务公示", "Today's service"),
    "hall_public_satisfaction": ("客户满意率 {good}（{count} 次评价）", "{good} satisfied ({count} ratings)"),
    "hall_public_no_ratings": ("暂无客户评价", "No ratings yet"),
    "hall_public_wait": ("平均等候 {wait} 分钟", "average wait {wait} min"),
    "hall_public_no_wait": ("今日尚未叫号", "no calls yet today"),
    # --- end of service quality on the kiosk ----------------------------------------------
}


def text(key: str, **params: object) -> Bilingual:
    """Return the message ``key`` with ``params`` filled in, in both languages."""
    zh_t, en_t = CATALOGUE[key]
    return Bilingual(zh_t.format(**params), en_t.format(**params))


class _Coded(Protocol):
    """A refusal as the core returns it (:class:`kiosk.core.Rejected`): a catalogue key and
    its parameters. Named structurally, so this module imports nothing from the core."""

    @property
    def code(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]: ...


def rejection(r: _Coded) -> Bilingual:
    """The courteous text for a refusal: the core gives the code, the shell the words.

    >>> from types import SimpleNamespace
    >>> rejection(SimpleNamespace(code="no_such_counter", params={"counter": 9})).en
    'Sorry, there is no counter 9. Please check the counter number.'
    """
    return text(r.code, **r.params)


def zh(key: str, **params: object) -> str:
    return text(key, **params).zh


def en(key: str, **params: object) -> str:
    return text(key, **params).en
