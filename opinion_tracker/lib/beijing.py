"""Beijing time: the time zone of every deadline, page and message (China has one, without summer time)."""

from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
