from decimal import Decimal

from django.contrib.auth import get_user_model
from rest_framework import serializers

from leads.api.serializers import CurrencyCodeField
from performance.models import (
    GRADES,
    Appeal,
    Appraisal,
    AppraisalCycle,
    BonusAllocation,
    BonusPool,
    Grade,
    Kpi,
    KpiTemplate,
    KpiTemplateItem,
    ManagerScore,
    PeerReview,
    TrainingCourse,
)
from performance.rules import is_hr_user
from performance.selectors import appraisal_visible

USERS = get_user_model().objects.filter(is_active=True)


class KpiSerializer(serializers.ModelSerializer):
    floor = serializers.DecimalField(
        max_digits=12, decimal_places=2, max_value=Decimal("1e9"), min_value=Decimal("-1e9")
    )
    target = serializers.DecimalField(
        max_digits=12, decimal_places=2, max_value=Decimal("1e9"), min_value=Decimal("-1e9")
    )

    class Meta:
        model = Kpi
        fields = [
            "id",
            "code",
            "name",
            "name_zh",
            "dimension",
            "source",
            "direction",
            "unit",
            "floor",
            "target",
            "retired_at",
        ]
        read_only_fields = ["retired_at"]


class TemplateItemSerializer(serializers.Serializer):
    kpi = serializers.PrimaryKeyRelatedField(queryset=Kpi.objects.all())
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal(100))


class KpiTemplateSerializer(serializers.ModelSerializer):
    items = TemplateItemSerializer(many=True, max_length=100)

    class Meta:
        model = KpiTemplate
        fields = ["id", "name", "project_role", "method", "items"]
        validators = []  # one template per role: the service says so in words

    def to_representation(self, instance):
        data = super().to_representation(instance)
        items: list[KpiTemplateItem] = list(instance.items.all())
        data["items"] = [{"kpi": i.kpi_id, "weight": str(i.weight)} for i in items]
        return data


class GradeMapField(serializers.DictField):
    """{grade: number}: the keys are grades, the values numbers from 0 to 100."""

    child = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100))

    def __init__(self, grades, **kwargs):
        self.grades = grades
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, dict) and len(data) > len(GRADES):
            raise serializers.ValidationError("Too many grades.")
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - set(self.grades))
        if unknown:
            raise serializers.ValidationError(f"Unknown grades: {', '.join(unknown[:5])}.")
        return {k: float(v) for k, v in value.items()}


class AppraisalCycleSerializer(serializers.ModelSerializer):
    grade_thresholds = GradeMapField(("S", "A", "B", "C"), required=False)
    grade_caps = GradeMapField(GRADES, required=False)

    class Meta:
        model = AppraisalCycle
        fields = ["id", "name", "kind", "start", "end", "grade_thresholds", "grade_caps", "state", "progress", "error"]
        read_only_fields = ["state", "progress", "error"]


class ResultSerializer(serializers.Serializer):
    kpi = serializers.IntegerField()
    code = serializers.CharField()
    value = serializers.CharField(allow_null=True)
    score = serializers.CharField(allow_null=True)
    weight = serializers.CharField()
    measured = serializers.BooleanField()


class AppraisalSerializer(serializers.ModelSerializer):
    results = ResultSerializer(many=True, read_only=True)
    final_grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    calibration_reason = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    advice = serializers.CharField(required=False, allow_blank=True, max_length=20000)

    class Meta:
        model = Appraisal
        fields = [
            "id",
            "cycle",
            "employee",
            "project_role",
            "template",
            "contribution",
            "score",
            "grade",
            "final_grade",
            "calibration_reason",
            "results",
            "notes",
            "strengths",
            "gaps",
            "advice",
            "state",
        ]
        read_only_fields = [f for f in fields if f not in ("final_grade", "calibration_reason", "advice")]


class ManagerScoreSerializer(serializers.ModelSerializer):
    appraisal = serializers.PrimaryKeyRelatedField(queryset=Appraisal.objects.all())
    kpi = serializers.PrimaryKeyRelatedField(queryset=Kpi.objects.all())
    score = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100))
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    class Meta:
        model = ManagerScore
        fields = ["id", "appraisal", "kpi", "score", "comment"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            fields["appraisal"].queryset = appraisal_visible(request.user)
        return fields


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = ["id", "appraisal", "reason", "state", "decision", "new_grade", "decided_at", "created_at"]
        read_only_fields = fields


class AppealDecisionSerializer(serializers.Serializer):
    decision = serializers.CharField(max_length=4000)
    new_grade = serializers.ChoiceField(choices=Grade.choices, required=False, default="")


class PeerScoreInputSerializer(serializers.Serializer):
    kpi = serializers.PrimaryKeyRelatedField(queryset=Kpi.objects.all())
    score = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100))


class PeerReviewSerializer(serializers.ModelSerializer):
    """The reviewer is the user who posts it; it is shown to HR only (never to the reviewee)."""

    cycle = serializers.PrimaryKeyRelatedField(queryset=AppraisalCycle.objects.all())
    reviewee = serializers.PrimaryKeyRelatedField(queryset=USERS)
    scores = PeerScoreInputSerializer(many=True, max_length=50)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    class Meta:
        model = PeerReview
        fields = ["id", "cycle", "reviewee", "scores", "comment", "created_at"]
        read_only_fields = ["created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["scores"] = [{"kpi": s.kpi_id, "score": str(s.score)} for s in instance.scores.all()]
        request = self.context.get("request")
        if request is not None and is_hr_user(request.user):
            data["reviewer"] = instance.reviewer_id
        return data


class BonusAllocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = BonusAllocation
        fields = ["employee", "grade", "contribution", "share", "amount"]
        read_only_fields = fields


class BonusPoolSerializer(serializers.ModelSerializer):
    cycle = serializers.PrimaryKeyRelatedField(queryset=AppraisalCycle.objects.all())
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("99999999999999.99")
    )
    currency = CurrencyCodeField()
    grade_coefficients = GradeMapField(GRADES, required=False)
    allocations = BonusAllocationSerializer(many=True, read_only=True)

    class Meta:
        model = BonusPool
        fields = ["id", "cycle", "amount", "currency", "grade_coefficients", "state", "allocations"]
        read_only_fields = ["state", "allocations"]


class TrainingCourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingCourse
        fields = ["id", "dimension", "title", "title_zh", "link", "active"]
