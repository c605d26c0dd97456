"""The shape ARCHITECTURE.md promises, checked on the source: imports flow downstream only, every app
has the same modules, services take keyword arguments only, and only ltc_portal/core/fsm.py writes
the transition log (no django-fsm signals, no old helpers)."""

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps as django_apps

ROOT = Path(__file__).resolve().parent.parent
#: upstream first: an app may import only the apps to its left
FLOW = [
    "ltc_portal",
    "leads",
    "opportunities",
    "contracts",
    "delivery",
    "finance",
    "performance",
    "notifications",
    "integrations",
]
APPS = FLOW[1:]
RANK = {name: i for i, name in enumerate(FLOW)}
FSM_FILE = ROOT / "ltc_portal" / "core" / "fsm.py"


def source_files(package: str):
    """Every .py file of a top-level package, migrations and tests left out."""
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "migrations" in parts or "tests" in parts or "__pycache__" in parts:
            continue
        yield path


def module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def imports_of(path: Path):
    """(line, absolute module) for every import in the file, those inside functions included;
    ``from x import y`` yields ``x`` and ``x.y`` (y may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name, is_package = module_name(path)
    package = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                yield node.lineno, module, alias.name


def relpath(path: Path) -> str:
    return str(path.relative_to(ROOT))


# D.1 Imports flow downstream --------------------------------------------------------------------


def test_imports_flow_downstream_only():
    upward = []
    for app in FLOW:
        for path in source_files(app):
            for line, module, _name in imports_of(path):
                top = module.split(".")[0]
                if top in RANK and RANK[top] > RANK[app]:
                    upward.append(f"{relpath(path)}:{line} → {module}")
    assert not upward, "imports against the flow " + " ← ".join(FLOW) + ":\n" + "\n".join(upward)


# D.2 The same shape in every app ----------------------------------------------------------------

REQUIRED_FILES = [
    "selectors.py",
    "api/serializers.py",
    "api/views.py",
    "api/filters.py",
    "admin.py",
    "views.py",
    "urls.py",
    "tasks.py",
    "handlers.py",
    "apps.py",
]


def module_or_package(app: str, name: str) -> bool:
    return (ROOT / app / f"{name}.py").is_file() or (ROOT / app / name / "__init__.py").is_file()


@pytest.mark.parametrize("app", APPS)
def test_every_app_has_the_same_shape(app):
    missing = [f for f in REQUIRED_FILES if not (ROOT / app / f).is_file()]
    missing += [f"{name}.py or {name}/" for name in ("models", "services") if not module_or_package(app, name)]
    assert not missing, f"{app} lacks: {', '.join(missing)}"


def test_performance_is_installed():
    assert django_apps.is_installed("performance")


# D.3 Services take keyword arguments only -------------------------------------------------------


def service_modules():
    """Each app's services module(s): ``services.py``, every submodule of a ``services/`` package,
    and ``services_*.py`` beside them; plus the control-point engine's services."""
    names = []
    for app in APPS:
        if (ROOT / app / "services.py").is_file():
            names.append(f"{app}.services")
        elif (ROOT / app / "services" / "__init__.py").is_file():
            names.append(f"{app}.services")
            names += [f"{app}.services.{m.name}" for m in pkgutil.iter_modules([str(ROOT / app / "services")])]
        names += [f"{app}.{p.stem}" for p in sorted((ROOT / app).glob("services_*.py"))]
    return names + ["ltc_portal.controls.services"]


ALLOWED_KINDS = {inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD}


@pytest.mark.parametrize("module_name", service_modules())
def test_services_take_keyword_arguments_only(module_name):
    module = importlib.import_module(module_name)
    offenders = []
    for name, func in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or func.__module__ != module.__name__:
            continue
        positional = [p.name for p in inspect.signature(func).parameters.values() if p.kind not in ALLOWED_KINDS]
        if positional:
            offenders.append(f"{name}({', '.join(positional)}, …)")
    assert not offenders, f"{module_name}: parameters that are not keyword-only: " + "; ".join(offenders)


# D.4 Only ltc_portal/core/fsm.py writes the transition log --------------------------------------

OLD_HELPERS = {"apply_transition", "record_transition", "require_transition"}
LOG_WRITES = {"create", "bulk_create", "get_or_create", "update_or_create"}
FSM_SIGNALS = {"post_transition", "pre_transition"}


def log_writers(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in LOG_WRITES
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "objects"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "TransitionLog"
        ):
            yield node.lineno, f"TransitionLog.objects.{node.attr}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "TransitionLog":
            yield node.lineno, "TransitionLog(...)"
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in OLD_HELPERS
            and (
                (isinstance(node.value, ast.Name) and node.value.id == "fsm")
                or (isinstance(node.value, ast.Attribute) and node.value.attr == "fsm")
            )
        ):
            yield node.lineno, f"fsm.{node.attr}"


def test_only_fsm_writes_the_transition_log():
    found = []
    for package in FLOW:
        for path in source_files(package):
            if path == FSM_FILE:
                continue
            found += [f"{relpath(path)}:{line} → {what}" for line, what in log_writers(path)]
            for line, module, name in imports_of(path):
                if module == "ltc_portal.core.fsm" and name in OLD_HELPERS:
                    found.append(f"{relpath(path)}:{line} → from ltc_portal.core.fsm import {name}")
    assert not found, "the transition log is written outside ltc_portal/core/fsm.py:\n" + "\n".join(found)


def test_the_old_helpers_are_gone():
    from ltc_portal.core import fsm

    assert not [name for name in sorted(OLD_HELPERS) if hasattr(fsm, name)]


def test_no_django_fsm_signals():
    found = []
    for package in FLOW:
        for path in source_files(package):
            for line, module, name in imports_of(path):
                if (
                    module.startswith("django_fsm.signals")
                    or (module == "django_fsm" and name == "signals")
                    or (module.startswith("django_fsm") and name in FSM_SIGNALS)
                ):
                    found.append(f"{relpath(path)}:{line} → {module}" + (f" import {name}" if name else ""))
    assert not found, "django-fsm signals are used (publish domain events instead):\n" + "\n".join(found)


def _api_viewsets():
    """Every viewset routed under /api/v1/ (from the URL resolver)."""
    from django.urls import get_resolver
    from rest_framework.viewsets import ViewSetMixin

    found = {}

    def walk(patterns):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns)
                continue
            cls = getattr(p.callback, "cls", None)
            if cls is not None and issubclass(cls, ViewSetMixin):
                found[cls.__name__] = cls

    walk(get_resolver().url_patterns)
    return found


def test_every_api_viewset_reads_through_a_selector_and_writes_through_a_service():
    """NetBox-style base: every routed viewset is a RestrictedViewSet (its queryset is what the user may
    read), and no create/update falls through to DRF's ``serializer.save()`` (which would skip the
    services' state and permission checks)."""
    from rest_framework import mixins

    from ltc_portal.core.api.viewsets import RestrictedViewSet

    viewsets = _api_viewsets()
    assert len(viewsets) >= 15, sorted(viewsets)
    problems = []
    for name, cls in sorted(viewsets.items()):
        if not issubclass(cls, RestrictedViewSet) or cls.selector is None:
            problems.append(f"{name}: not a RestrictedViewSet with a selector")
        if "get_queryset" in vars(cls):
            problems.append(f"{name}: overrides get_queryset instead of declaring its selector")
        creates = issubclass(cls, mixins.CreateModelMixin) and cls.create is mixins.CreateModelMixin.create
        if creates and cls.perform_create is mixins.CreateModelMixin.perform_create:
            problems.append(f"{name}: create saves the serializer instead of calling a service")
        if issubclass(cls, mixins.UpdateModelMixin) and cls.perform_update is mixins.UpdateModelMixin.perform_update:
            problems.append(f"{name}: update saves the serializer instead of calling a service")
    assert not problems, "\n".join(problems)


def test_celery_jobs_are_queued_only_through_the_outbox():
    """Every job goes through ``ltc_portal.core.outbox.enqueue`` (a row in the request's transaction,
    published after commit): no ``.delay(`` or ``.apply_async(`` anywhere else."""
    outbox_file = ROOT / "ltc_portal" / "core" / "outbox.py"
    found = []
    for package in FLOW:
        for path in source_files(package):
            if path == outbox_file:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in ("delay", "apply_async"):
                    found.append(f"{relpath(path)}:{node.lineno}: .{node.attr}(")
    assert not found, "queue jobs with outbox.enqueue:\n" + "\n".join(found)
