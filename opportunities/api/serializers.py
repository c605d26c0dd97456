from rest_framework import serializers

from opportunities.models import Opportunity


class OpportunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Opportunity
        fields = ["id", "name", "customer", "owner", "lead", "expected_value", "currency", "state",
                  "created_at", "updated_at"]
        read_only_fields = fields
