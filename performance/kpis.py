"""The indicators the portal seeds (DOMAIN.md §7 and §7.1): the computed ones, calculated by the
scoring job, and the teamwork ones scored by peers and managers. HR may change every scale."""

#: code, name, 中文名, dimension, source, direction, unit, floor (0 points), target (100 points)
SEEDED_KPIS = [
    ("milestone_completion_rate", "Milestone completion rate", "里程碑完成率", "schedule", "computed",
     "higher_better", "%", 50, 100),
    ("delay_rate", "Delay rate", "延期率", "schedule", "computed", "lower_better", "%", 50, 0),
    ("cost_variance_rate", "Cost variance rate", "成本偏差率", "cost", "computed", "lower_better", "%", 20, 0),
    ("budget_execution_rate", "Budget execution rate", "预算执行率", "cost", "computed", "higher_better", "%", 50, 100),
    ("complaint_ratio", "Complaint ratio", "投诉率", "cost", "computed", "lower_better", "%", 30, 0),
    ("customer_satisfaction", "Customer satisfaction", "客户满意度", "quality", "computed", "higher_better",
     "points", 60, 100),
    ("defect_count", "Defect count", "缺陷数", "quality", "computed", "lower_better", "defects", 10, 0),
    ("rework_ratio", "Rework ratio", "返工率", "quality", "computed", "lower_better", "%", 30, 0),
    ("risk_plan_completion", "Risk-plan completion", "风险计划完成率", "risk", "computed", "higher_better", "%",
     50, 100),
    ("risk_event_count", "Risk event count", "风险事件数", "risk", "computed", "lower_better", "events", 5, 0),
    ("cohesion", "Team cohesion", "团队凝聚力", "teamwork", "peer", "higher_better", "points", 0, 100),
    ("communication", "Communication", "沟通", "teamwork", "peer", "higher_better", "points", 0, 100),
    ("decision_quality", "Decision quality", "决策质量", "teamwork", "manager", "higher_better", "points", 0, 100),
    ("problem_solving", "Problem solving", "问题解决", "teamwork", "manager", "higher_better", "points", 0, 100),
]  # fmt: skip

COMPUTED_CODES = [row[0] for row in SEEDED_KPIS if row[4] == "computed"]
