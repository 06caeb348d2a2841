"""Who can read which Key Vault secret, read from infra/bicep with tree-sitter.

An app can reach a secret in two ways, and both are followed here:
- by reference: its configuration (through parameters and variables, back to main.bicep's
  `keyVault.outputs.X`) names the secret's URI;
- by role: an identity attached to it holds a Key Vault role (core/roles.bicep) on the vault,
  which covers every secret, or on single secrets (existing secrets looped over a list of
  names that main.bicep fills from `keyVault.outputs.X_SECRET_NAMES`). Any code running in the
  app may read such a secret through the Key Vault API, referenced or not.

The apps are every `Microsoft.Web/sites`, `Microsoft.App/containerApps` and `Microsoft.App/jobs`
resource; one this model does not know makes `reach` fail rather than pass unseen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.bicep import Node, declarations, declared_name, declared_string, parse, text

SECRET_TYPE = "Microsoft.KeyVault/vaults/secrets"
APP_TYPES = ("Microsoft.Web/sites", "Microsoft.App/containerApps", "Microsoft.App/jobs")
KEY_VAULT_ROLES = ("keyVaultSecretsUser", "keyVaultSecretsOfficer")


def references(node: Node) -> Iterator[str]:
    """Identifiers a node uses (object keys and property names are not references)."""
    if node.type == "identifier":
        yield text(node)
        return
    children = node.children
    if node.type == "object_property":
        children = children[1:]
    for child in children:
        yield from references(child)


def _value(node: Node) -> Node:
    """The right-hand side of a declaration (`... = value`)."""
    children = node.children
    return children[[c.type for c in children].index("=") + 1]


def _property(obj: Node, key: str) -> Node | None:
    for prop in obj.children:
        if prop.type == "object_property" and text(prop.children[0]) == key:
            return prop.children[-1]
    return None


def _body(resource: Node) -> Node:
    """The object of a resource or module, inside its `for` loop or `if` condition."""
    value = _value(resource)
    while value.type in ("for_statement", "if_statement"):
        value = next(c for c in value.children if c.type in ("object", "if_statement"))
    return value


def _loop_list(resource: Node) -> str | None:
    """`names` of `[for name in names: {...}]`."""
    value = _value(resource)
    if value.type != "for_statement":
        return None
    seen_in = False
    for child in value.children:
        if seen_in and child.type == "identifier":
            return text(child)
        seen_in = seen_in or child.type == "in"
    return None


def closure(path: Path, node: Node) -> set[str]:
    """Identifiers a node uses, with the variables it uses expanded transitively."""
    variables = {declared_name(v): _value(v) for v in declarations(path, "variable_declaration")}
    found: set[str] = set()
    todo = list(references(node))
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        if name in variables:
            todo.extend(references(variables[name]))
    return found


def vault_secrets(keyvault: Path) -> dict[str, str]:
    """keyvault.bicep: secret resource -> the secret's name."""
    secrets = {}
    for node in declarations(keyvault, "resource_declaration"):
        if declared_string(node).partition("@")[0] == SECRET_TYPE:
            name = _property(_body(node), "name")
            assert name is not None and name.type == "string", declared_name(node)
            secrets[declared_name(node)] = text(name).strip("'")
    return secrets


def vault_outputs(keyvault: Path) -> dict[str, set[str]]:
    """keyvault.bicep output -> the names of the secrets it gives out (URI or name lists)."""
    secrets = vault_secrets(keyvault)
    return {
        declared_name(out): {secrets[r] for r in references(_value(out)) if r in secrets}
        for out in declarations(keyvault, "output_declaration")
    }


def module_params(main: Path, module: str) -> dict[str, Node]:
    for node in declarations(main, "module_declaration"):
        if declared_name(node) == module:
            params = _property(_body(node), "params")
            assert params is not None
            return {text(p.children[0]): p.children[-1] for p in params.children
                    if p.type == "object_property"}  # fmt: skip
    raise AssertionError(f"main.bicep has no module {module}")


def _module_outputs(value: Node) -> set[tuple[str, str]]:
    """(module, output) pairs of `module.outputs.OUTPUT` in a value."""
    found = set()
    for node in _walk(value):
        parts = text(node).split(".")
        if node.type == "member_expression" and len(parts) == 3 and parts[1] == "outputs":
            found.add((parts[0], parts[2]))
    return found


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


@dataclass
class Reach:
    """Per app: the secrets it references and the secrets its identities may read."""

    referenced: dict[str, set[str]] = field(default_factory=dict)
    readable: dict[str, set[str]] = field(default_factory=dict)
    vault_wide: set[str] = field(default_factory=set)  # principals with a role on the vault


def _secrets_of(main: Path, keyvault: Path, module: str, params: set[str]) -> set[str]:
    """Secret names that the given params of a module receive from keyVault outputs."""
    outputs = vault_outputs(keyvault)
    bound = module_params(main, module)
    names: set[str] = set()
    for param in params & set(bound):
        for source, output in _module_outputs(bound[param]):
            if source == "keyVault":
                names |= outputs.get(output, set())
    return names


def _role_reads(bicep: Path) -> tuple[dict[str, set[str]], set[str]]:
    """Principal source (module in main.bicep, or a main parameter) -> readable secret names;
    and the sources holding a Key Vault role at the vault's scope."""
    main, roles = bicep / "main.bicep", bicep / "core" / "roles.bicep"
    keyvault = bicep / "core" / "keyvault.bicep"
    all_secrets = set(vault_secrets(keyvault).values())
    loops = {
        declared_name(n): _loop_list(n)
        for n in declarations(roles, "resource_declaration")
        if declared_string(n).partition("@")[0] == SECRET_TYPE
    }
    bound = module_params(main, "roles")
    readable: dict[str, set[str]] = {}
    vault_wide: set[str] = set()
    for node in declarations(roles, "resource_declaration"):
        if not declared_string(node).startswith("Microsoft.Authorization/roleAssignments@"):
            continue
        body = _body(node)
        properties = _property(body, "properties")
        assert properties is not None
        role = _property(properties, "roleDefinitionId")
        if role is None or not any(r in text(role) for r in KEY_VAULT_ROLES):
            continue
        scope = _property(body, "scope")
        principal = _property(properties, "principalId")
        assert scope is not None and principal is not None
        source = _principal_source(bound[text(principal)])
        scope_name = text(scope).split("[", 1)[0]
        if scope_name == "vault":
            names = all_secrets
            vault_wide.add(source)
        elif loops.get(scope_name):
            names = _secrets_of(main, keyvault, "roles", {str(loops[scope_name])})
        else:
            raise AssertionError(f"roles.bicep {declared_name(node)}: unknown scope {text(scope)}")
        readable.setdefault(source, set()).update(names)
    return readable, vault_wide


def _principal_source(value: Node) -> str:
    outputs = _module_outputs(value)
    if outputs:
        ((module, _),) = outputs
        return module
    return text(value)  # a main.bicep parameter (the deployer)


def _apps(bicep: Path) -> dict[str, tuple[Path, Node]]:
    apps = {}
    for path in sorted(bicep.rglob("*.bicep")):
        for node in declarations(path, "resource_declaration"):
            if declared_string(node).partition("@")[0] in APP_TYPES:
                apps[declared_name(node)] = (path, node)
    return apps


def reach(bicep: Path) -> Reach:
    """Who references and who may read which secret, for every app of the templates."""
    main, keyvault = bicep / "main.bicep", bicep / "core" / "keyvault.bicep"
    readable, vault_wide = _role_reads(bicep)
    result = Reach(vault_wide=vault_wide)
    for app, (path, node) in _apps(bicep).items():
        module = {"api.bicep": "api", "chat.bicep": "chat"}.get(path.name)
        if module is None or path.parent.name != "app":
            raise AssertionError(f"{path.name}: app {app} is not modelled in secret_reach.py")
        if module == "api":
            # The function app's settings are its api-settings module; its identity is its own.
            params = set(module_params(main, "apiSettings"))
            result.referenced[app] = _secrets_of(main, keyvault, "apiSettings", params)
            result.readable[app] = readable.get("api", set())
            continue
        used = closure(path, node)
        result.referenced[app] = _secrets_of(main, keyvault, module, used)
        identities = {
            src
            for param, value in module_params(main, module).items()
            if param in used
            for src, output in _module_outputs(value)
            if output == "ID"
        }
        result.readable[app] = set().union(*(readable.get(i, set()) for i in identities))
    return result


def parses(bicep: Path) -> bool:
    return all(not parse(p).root_node.has_error for p in bicep.rglob("*.bicep"))
