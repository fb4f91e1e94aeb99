"""The national statement rules of docs/rules.md: the four review gates, holding-statement templates that
follow 快报事实、慎报原因、重在态度、再报进展, and the phrases reviewers are warned about."""

from django.db import migrations

GATES = ["policy", "wording", "secrecy", "legal"]

# The first reads complete once the incident's facts are filled in; the second leaves its progress (【…】) for the
# drafter to write, and a holding statement is signed off without its gates only once no blank is left.
TEMPLATES = [
    (
        "快报事实 · 首次通报",
        "{now}，{department}关注到网民反映“{title}”的情况，已第一时间组织力量赶赴现场核查处置。"
        "目前有关情况正在进一步核实，事件原因正在调查中。我们将依法依规、实事求是查明情况，"
        "并及时发布进展。感谢社会各界的关注和监督。",
    ),
    (
        "再报进展 · 续报",
        "关于“{title}”一事，{department}现将最新进展通报如下：【新的进展与处置措施】。"
        "对群众关心的问题，我们将持续回应，调查结果将第一时间向社会公布。",
    ),
]

PHRASES = [
    ("无可奉告", "回避问题，易被视为傲慢、不作为，损害政府公信力。"),
    ("临时工", "推卸责任、寻找替罪羊，公众普遍反感。"),
    ("不明真相", "贬低公众、激化对立，应以事实回应关切。"),
    ("领导高度重视", "空话套话，过度强调领导重视而非说明做了什么。"),
]


def seed(apps, schema_editor):
    ReviewPolicy = apps.get_model("statements", "ReviewPolicy")
    HoldingTemplate = apps.get_model("statements", "HoldingTemplate")
    FlaggedPhrase = apps.get_model("statements", "FlaggedPhrase")
    if not ReviewPolicy.objects.filter(government=None).exists():
        ReviewPolicy.objects.create(government=None, gates=GATES)
    for name, text in TEMPLATES:
        HoldingTemplate.objects.get_or_create(government=None, name=name, defaults={"text": text})
    for phrase, reason in PHRASES:
        FlaggedPhrase.objects.get_or_create(government=None, phrase=phrase, defaults={"reason": reason})


class Migration(migrations.Migration):
    dependencies = [("statements", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
