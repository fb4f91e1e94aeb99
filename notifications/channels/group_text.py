"""Text from people and intake, made inert before it goes to a group robot.

DingTalk renders robot messages as markdown, Feishu acts on ``<at>`` tags, every provider shows
"@所有人" as a mention and turns addresses into links: a title such as "[点此领取补贴](http://…)",
"![](http://…)", "# 紧急通知" or "@所有人" would become a live link, a remote image, a heading or a
mention in front of the whole group. Each character the providers interpret is replaced by its
full-width form, which reads the same to a Chinese reader and means nothing to the providers; line
breaks become spaces (a heading, list or quote needs a line of its own); and an address loses what
makes it one ("://", "www.").
"""

FULL_WIDTH = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "!": "！",
        "#": "＃",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "<": "＜",
        ">": "＞",
        "|": "｜",
        "~": "～",
        "@": "＠",
        "\\": "＼",
    }
)


def inert(text: str) -> str:
    """``text`` on one line, shown as typed by every robot provider, with nothing it could trigger."""
    text = " ".join(str(text).split())
    text = text.replace("://", "：//").replace("www.", "www．").replace("WWW.", "WWW．")
    return text.translate(FULL_WIDTH)
