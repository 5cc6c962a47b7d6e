"""The deployment files (deploy/) agree with Kubernetes, with each other and with the service.

Offline and fast: the Kubernetes schemas come bundled with `kubernetes-validate`, compose is
only parsed, and setting names are checked against `models.settings.Settings` itself.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import os
import re
import shlex
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import kubernetes_validate
import pytest
import typer.main
import yaml
from pydantic import BaseModel

from models.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
DOCKERFILE = DEPLOY / "Dockerfile"

ENV_PREFIX: str = Settings.model_config["env_prefix"]
NESTED_DELIMITER: str = Settings.model_config["env_nested_delimiter"]
# Read by the settings loader itself rather than as a field: the TOML file to layer under the env.
READ_OUTSIDE_FIELDS = {"CONNECTORS_CONFIG"}

# The oldest Kubernetes minor we support and the newest the bundled schemas know.
KUBERNETES_VERSIONS = ("1.29", kubernetes_validate.utils.latest_version())

# From the public contract (shared/api-contract.md, "Command line").
DOCUMENTED_COMMANDS = {"dev", "serve", "worker", "migrate", "token", "export-schema"}
# Which command each deployed role runs.
ROLE_COMMANDS = {"api": "serve", "worker": "worker", "migrate": "migrate"}
# From the public contract: the stable connector keys.
CONNECTOR_KEYS = {
    "SFDC", "DYNAMICS", "HUBSPOT", "ZOHO", "PIPEDRIVE", "ZENDESK", "FRESHDESK", "SERVICENOW",
    "JIRA", "INTERCOM", "GONG_IO", "MIXPANEL", "SEGMENT_IO", "GAINSIGHT_PX", "SURVEYMONKEY",
    "ZUORA", "BIGQUERY", "SNOWFLAKE", "S3", "GAINSIGHT_API",
}  # fmt: skip

API_LABELS = {"app.kubernetes.io/name": "connections-hub", "app.kubernetes.io/component": "api"}


# --- loading -----------------------------------------------------------------------------------


@functools.cache
def _parsed(path: Path) -> list[Any]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def load_yaml(path: Path) -> list[Any]:
    """The documents of a YAML file, parsed once per session; callers get their own copy."""
    return copy.deepcopy(_parsed(path))


def kustomization() -> dict[str, Any]:
    (document,) = load_yaml(K8S / "kustomization.yaml")
    return document


def k8s_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every resource the kustomization lists, with the file it came from."""
    documents = []
    for name in kustomization()["resources"]:
        documents.extend((name, document) for document in load_yaml(K8S / name))
    return documents


def k8s_objects(kind: str) -> list[dict[str, Any]]:
    return [document for _, document in k8s_documents() if document["kind"] == kind]


def k8s_object(kind: str, name: str) -> dict[str, Any]:
    (found,) = [obj for obj in k8s_objects(kind) if obj["metadata"]["name"] == name]
    return found


def pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in ("Deployment", "Job"):
        for obj in k8s_objects(kind):
            yield obj["metadata"]["name"], obj["spec"]["template"]["spec"]


def compose() -> dict[str, Any]:
    (document,) = load_yaml(COMPOSE)
    return document


def env_example() -> dict[str, str]:
    """`NAME=value` lines of .env.example, including commented-out ones (`# NAME=value`)."""
    pairs = re.findall(r"^[ \t]*#?[ \t]*([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE.read_text(), re.M)
    return dict(pairs)


def env_example_active() -> dict[str, str]:
    pairs = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE.read_text(), re.M)
    return dict(pairs)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    instructions = []
    for text in logical:
        keyword, _, arguments = text.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"not exec form: {arguments}"
    return value


# --- which CONNECTORS_* names the service reads ------------------------------------------------


def _reads(annotation: Any, parts: list[str]) -> bool:
    """Whether the env path `parts` (already split on the nested delimiter) lands on a setting."""
    if not parts:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(parts[0])
        return field is not None and _reads(field.annotation, parts[1:])
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_reads(arg, parts) for arg in get_args(annotation) if arg is not type(None))
    if origin is dict:
        _, value_type = get_args(annotation)
        return parts[0] != "" and _reads(value_type, parts[1:])
    return False


def is_read_by_service(env_name: str) -> bool:
    """`CONNECTORS_LOG_FORMAT` -> Settings.log_format,
    `CONNECTORS_CONNECTORS__SFDC__CLIENT_ID` -> Settings.connectors["SFDC"].client_id.
    Names are case-insensitive, as pydantic-settings reads them.
    """
    if env_name in READ_OUTSIDE_FIELDS:
        return True
    if not env_name.startswith(ENV_PREFIX):
        return False
    return _reads(Settings, env_name[len(ENV_PREFIX) :].lower().split(NESTED_DELIMITER))


def connector_key(env_name: str) -> str | None:
    prefix = f"{ENV_PREFIX}CONNECTORS{NESTED_DELIMITER}"
    if not env_name.startswith(prefix):
        return None
    return env_name[len(prefix) :].split(NESTED_DELIMITER)[0]


def compose_env_names() -> set[str]:
    names: set[str] = set(re.findall(r"\$\{(CONNECTORS_[A-Za-z0-9_]+)", COMPOSE.read_text()))
    for service in compose()["services"].values():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        names.update(environment)
    return names


def k8s_env_names() -> set[str]:
    names: set[str] = set()
    for obj in k8s_objects("ConfigMap") + k8s_objects("Secret"):
        names.update(obj.get("data") or {}, obj.get("stringData") or {})
    for _, spec in pod_specs():
        for container in spec.get("initContainers", []) + spec["containers"]:
            names.update(entry["name"] for entry in container.get("env", []))
    return names


def dockerfile_env_names() -> set[str]:
    names: set[str] = set()
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            names.update(re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", arguments))
    return names


def deployed_env_names() -> dict[str, set[str]]:
    return {
        "deploy/compose.yaml": compose_env_names(),
        "deploy/.env.example": set(env_example()),
        "deploy/k8s": k8s_env_names(),
        "deploy/Dockerfile": dockerfile_env_names(),
    }


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No CONNECTORS_* variable of the machine running the tests leaks into Settings()."""
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    return monkeypatch


# --- (1) Kubernetes manifests -------------------------------------------------------------------


def test_kustomization_lists_every_manifest_in_the_directory() -> None:
    listed = set(kustomization()["resources"])
    on_disk = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(version: str) -> None:
    problems = []
    for filename, document in k8s_documents():
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            problems.append(f"{filename}: {document['kind']} {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{filename}: {error.message}")
    assert not problems, "\n".join(problems)


def test_the_schema_check_rejects_a_misspelled_field() -> None:
    deployment = k8s_object("Deployment", "connectors-api")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


def test_manifests_are_namespace_agnostic() -> None:
    assert "namespace" not in kustomization()
    for filename, document in k8s_documents():
        assert "namespace" not in document["metadata"], filename


def test_workloads_read_the_configmap_and_secret_that_exist() -> None:
    config_maps = {obj["metadata"]["name"] for obj in k8s_objects("ConfigMap")}
    secrets = {obj["metadata"]["name"] for obj in k8s_objects("Secret")}
    for name, spec in pod_specs():
        refs = [ref for container in spec["containers"] for ref in container.get("envFrom", [])]
        assert {ref["configMapRef"]["name"] for ref in refs if "configMapRef" in ref} <= config_maps
        assert {ref["secretRef"]["name"] for ref in refs if "secretRef" in ref} <= secrets
        assert refs, f"{name} reads no settings"


def test_the_secret_is_marked_as_an_example() -> None:
    text = (K8S / "secret.example.yaml").read_text()
    assert text.startswith("# EXAMPLE ONLY")
    (secret,) = k8s_objects("Secret")
    assert all("CHANGE-ME" in value for value in secret["stringData"].values())


def test_pods_run_as_non_root_with_a_read_only_root_filesystem() -> None:
    for name, spec in pod_specs():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert {"requests", "limits"} <= set(container["resources"]), name


def test_api_deployment_probes_and_drains() -> None:
    api = k8s_object("Deployment", "connectors-api")
    assert api["spec"]["replicas"] == 2
    assert api["spec"]["selector"]["matchLabels"] == API_LABELS
    pod = api["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + 30


def test_worker_has_time_to_finish_running_jobs() -> None:
    arq_default_job_timeout = 300
    worker = k8s_object("Deployment", "connectors-worker")
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > (
        arq_default_job_timeout
    )


def test_service_pdb_and_hpa_point_at_the_api_pods() -> None:
    api = k8s_object("Deployment", "connectors-api")
    pod_labels = api["spec"]["template"]["metadata"]["labels"]
    service = k8s_object("Service", "connectors-api")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    container_ports = {p["name"] for p in api["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert port["targetPort"] in container_ports

    (pdb,) = k8s_objects("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["minAvailable"] < api["spec"]["replicas"]

    (hpa,) = k8s_objects("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "connectors-api")
    assert hpa["spec"]["minReplicas"] >= api["spec"]["replicas"]


def test_migration_job_does_not_restart_in_place() -> None:
    job = k8s_object("Job", "connectors-migrate")
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert "kubectl wait job/connectors-migrate" in (K8S / "migrate-job.yaml").read_text()


# --- (2) compose ---------------------------------------------------------------------------------


def test_compose_services_reference_each_other_consistently() -> None:
    services = compose()["services"]
    assert {"api", "worker", "migrate", "postgres", "redis"} <= set(services)
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            if rule["condition"] == "service_healthy":
                healthcheck = services[dependency].get("healthcheck", {})
                assert healthcheck.get("test") and not healthcheck.get("disable"), (
                    f"{name} waits for {dependency} to be healthy, but it has no healthcheck"
                )
    for role in ("api", "worker"):
        assert services[role]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["migrate"]["restart"] == "no"


def test_compose_app_services_reach_the_compose_postgres_and_redis() -> None:
    services = compose()["services"]
    for role in ROLE_COMMANDS:
        environment = services[role]["environment"]
        assert "@postgres:5432/" in environment["CONNECTORS_DATABASE_URL"]
        assert environment["CONNECTORS_REDIS_URL"].startswith("redis://redis:6379")


def test_compose_builds_the_image_from_the_deploy_dockerfile() -> None:
    for role in ROLE_COMMANDS:
        build = compose()["services"][role]["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_compose_secrets_come_from_an_uncommitted_env_file() -> None:
    for role in ROLE_COMMANDS:
        (env_file,) = compose()["services"][role]["env_file"]
        assert env_file["path"] == ".env"
    assert ".env" in (DEPLOY / ".gitignore").read_text().splitlines()
    assert ENV_EXAMPLE.exists()
    assert not (DEPLOY / ".env").exists() or ".env" in (ROOT / ".dockerignore").read_text()
    # Every ${VAR} compose needs without a default is offered in the example.
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE.read_text()))
    assert required <= set(env_example_active())


# --- (3) every CONNECTORS_* name is a real setting --------------------------------------------


def test_the_settings_mapping_rejects_names_the_service_ignores() -> None:
    assert is_read_by_service("CONNECTORS_LOG_FORMAT")
    assert is_read_by_service("CONNECTORS_CONNECTORS__GONG_IO__CLIENT_SECRET")
    assert not is_read_by_service("CONNECTORS_LOGFORMAT")
    assert not is_read_by_service("CONNECTORS_CONNECTORS__SFDC__SECRET")
    assert not is_read_by_service("CONNECTORS_LOG_FORMAT__JSON")


@pytest.mark.parametrize("source", sorted(deployed_env_names()))
def test_every_connectors_variable_is_a_setting_the_service_reads(source: str) -> None:
    names = {name for name in deployed_env_names()[source] if name.startswith(ENV_PREFIX)}
    assert names, f"{source} sets no {ENV_PREFIX}* variable"
    unknown = sorted(name for name in names if not is_read_by_service(name))
    assert not unknown, f"{source} sets variables no setting reads: {', '.join(unknown)}"


@pytest.mark.parametrize("source", sorted(deployed_env_names()))
def test_per_connector_variables_name_real_connectors(source: str) -> None:
    keys = {connector_key(name) for name in deployed_env_names()[source]} - {None}
    assert keys <= CONNECTOR_KEYS, f"{source}: unknown connector keys {keys - CONNECTOR_KEYS}"


def test_k8s_settings_values_are_accepted_by_settings(clean_env: pytest.MonkeyPatch) -> None:
    for obj in k8s_objects("ConfigMap") + k8s_objects("Secret"):
        for name, value in (obj.get("data") or {}).items() | (obj.get("stringData") or {}).items():
            clean_env.setenv(name, value)
    settings = Settings()
    assert settings.database_url and settings.database_url.startswith("postgres://")
    assert settings.log_format == "json"
    assert settings.graphiql is False
    assert len(settings.encryption_key_list) == 2
    assert settings.overrides("sfdc").client_secret == "CHANGE-ME"


def test_env_example_values_are_accepted_by_settings(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in env_example_active().items():
        if name.startswith(ENV_PREFIX):
            clean_env.setenv(name, value)
    settings = Settings()
    assert settings.jwt_secret
    assert settings.overrides("HUBSPOT").client_id == "change-me"


# --- (4) one image, the documented commands ------------------------------------------------------


def test_dockerfile_entrypoint_is_connectors_and_default_command_serves() -> None:
    stage = final_stage()
    entrypoints = [exec_form(args) for keyword, args in stage if keyword == "ENTRYPOINT"]
    commands = [exec_form(args) for keyword, args in stage if keyword == "CMD"]
    assert entrypoints[-1] == ["connectors"]
    assert commands[-1] == ["serve", "--host", "0.0.0.0", "--port", "8000"]


def test_dockerfile_runs_as_a_numeric_non_root_user_and_checks_healthz() -> None:
    stage = final_stage()
    (user,) = [args for keyword, args in stage if keyword == "USER"]
    uid = user.partition(":")[0]
    assert uid.isdigit() and int(uid) != 0
    for _, spec in pod_specs():
        assert spec["securityContext"]["runAsUser"] == int(uid)
    (healthcheck,) = [args for keyword, args in stage if keyword == "HEALTHCHECK"]
    assert "http://127.0.0.1:8000/healthz" in healthcheck
    assert stage[0][1].startswith("python:${PYTHON_VERSION}-slim")
    assert "ARG PYTHON_VERSION=3.11" in DOCKERFILE.read_text()


def test_dockerfile_bakes_in_no_secret() -> None:
    for name in dockerfile_env_names() | {
        args.split("=")[0] for k, args in final_stage() if k == "ARG"
    }:
        assert not re.search(r"SECRET|KEY|PASSWORD|TOKEN|DATABASE_URL", name), name


def deployed_commands() -> dict[str, list[str]]:
    """Role -> the arguments passed to the `connectors` entry point, in compose and k8s."""
    commands = {}
    services = compose()["services"]
    for role in ROLE_COMMANDS:
        command = services[role]["command"]
        commands[f"compose {role}"] = shlex.split(command) if isinstance(command, str) else command
    for name, spec in pod_specs():
        for container in spec["containers"]:
            assert "command" not in container, f"{name} overrides the image's ENTRYPOINT"
            commands[f"k8s {container['name']}"] = container["args"]
    return commands


def test_compose_and_k8s_run_the_documented_command_of_each_role() -> None:
    commands = deployed_commands()
    assert len(commands) == 2 * len(ROLE_COMMANDS)
    for where, arguments in commands.items():
        role = where.split()[-1]
        assert arguments[0] in DOCUMENTED_COMMANDS, f"{where}: {arguments[0]} is not documented"
        assert arguments[0] == ROLE_COMMANDS[role], f"{where} runs {arguments[0]}"
        if arguments[0] == "serve":
            assert arguments[1:] == ["--host", "0.0.0.0", "--port", "8000"], where


def test_the_cli_offers_the_commands_the_deployment_runs() -> None:
    if importlib.util.find_spec("connectors_cli") is None:
        pytest.skip("connectors_cli is not written yet")
    from connectors_cli import app

    group = typer.main.get_command(app)
    available = set(group.commands)  # type: ignore[attr-defined]
    assert set(ROLE_COMMANDS.values()) <= available
    serve_options = {opt for param in group.commands["serve"].params for opt in param.opts}  # type: ignore[attr-defined]
    assert {"--host", "--port"} <= serve_options
