# Hooks the sandbox installs into moto_server (moto 5.2.5) before it binds its routes; moto.ts runs
# this file through runpy in the python that runs moto, then calls install().
#
# Why inside moto: the IAM facts access reviews read (key creation and last-use dates, a user's
# password last used, a role's last use) appear in many answers (ListAccessKeys, GetAccessKeyLastUsed,
# ListUsers/GetUser, GetRole, GetAccountAuthorizationDetails, the credential report). Setting them on
# moto's own model objects makes every one of those answers agree, and a real use after a time
# travel overwrites the travelled date as AWS would. The gateway (TypeScript) validates every
# request before it reaches these endpoints; what is checked here is what only moto's state can
# tell (does the user exist, was the key used before it was created).
#
# Endpoints (moto's /moto-api/ is unauthenticated; moto listens on loopback and only the gateway
# knows its port):
#   GET    /moto-api/sandbox/directory            keys, users, roles and STS sessions for the gateway's key directory
#   GET    /moto-api/sandbox/iam/credentials?account=A   what a credential report of account A is built from
#   POST   /moto-api/sandbox/iam/ages             apply time-travel overrides (all or nothing)
#   GET    /moto-api/sandbox/iam/ages             the overrides in force
#   DELETE /moto-api/sandbox/iam/ages[?account=A] undo them (dates a real use replaced since are kept)
#   POST   /moto-api/sandbox/iam/key-used         record a use of a key for a call the gateway answered itself
#   POST   /moto-api/sandbox/iam/principals       create many users, groups and roles in one account at once
#
# moto also gets behaviour patches (see _patch_iam): a role's last use records its region, a login
# profile's creation or change records when (password_last_changed), access keys remember their
# account (so the directory can tell two accounts' users of the same name apart), and
# GetAccessKeyLastUsed looks the key up instead of listing every key of every account.

import datetime
import json
import secrets
import threading
from urllib.parse import parse_qs, urlparse

_LOCK = threading.RLock()
# (kind, account, entity id, field) -> {"original": value before the first override, "applied": value set}
_OVERRIDES = {}


class HookError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def install():
    _patch_model_data()
    _patch_iam()
    _register_routes()


# ---- moto patches ------------------------------------------------------------------------------


def _patch_model_data():
    # moto 5.2.5 answers /moto-api/data.json with HTTP 500 once any RDS DB instance exists: data.json
    # reads every public attribute of every model and catches only TypeError/AttributeError/
    # ValueError, but DBInstance has write-only properties that raise NotImplementedError
    # (db_subnet_group_name, master_user_password). The same listing, skipping any attribute that
    # cannot be read.
    from moto.moto_api._internal.responses import MotoAPIResponse

    def model_data(self, request, full_url, headers):
        from moto.core.model_instances import model_data as registry

        results = {}
        for service in sorted(registry):
            results[service] = {}
            for name in sorted(registry[service]):
                listed = results[service][name] = []
                for instance in list(registry[service][name].instances_tracked):
                    fields = {}
                    for attr in dir(instance):
                        if attr.startswith("_"):
                            continue
                        try:
                            value = getattr(instance, attr)
                            json.dumps(value)
                        except Exception:
                            continue
                        fields[attr] = value
                    listed.append(fields)
        return 200, {"Content-Type": "application/javascript"}, json.dumps(results)

    MotoAPIResponse.model_data = model_data


def _patch_iam():
    from moto.iam import models as iam

    # Access keys remember their account: moto derives the key id from it but does not keep it.
    original_key_init = iam.AccessKey.__init__

    def key_init(self, user_name, prefix, account_id, status="Active"):
        original_key_init(self, user_name, prefix=prefix, account_id=account_id, status=status)
        self.account_id = account_id

    iam.AccessKey.__init__ = key_init

    # When moto first held anything of an account: the root account's creation in the credential report.
    original_backend_init = iam.IAMBackend.__init__

    def backend_init(self, *args, **kwargs):
        original_backend_init(self, *args, **kwargs)
        self._sandbox_created = _utcnow()

    iam.IAMBackend.__init__ = backend_init

    # moto sets a role's RoleLastUsed date when its session keys are used, never the region (AWS does).
    original_visited = iam.mark_account_as_visited

    def mark_account_as_visited(account_id, access_key, service, region):
        original_visited(account_id=account_id, access_key=access_key, service=service, region=region)
        try:
            backend = iam.iam_backends[account_id]["aws"]
            key = backend.access_keys.get(access_key)
            if key is not None and key.role_arn:
                role = backend.get_role_by_arn(key.role_arn)
                role.last_used_region = region
        except Exception:
            pass  # an unknown key or a role that does not exist: moto ignored it too

    iam.mark_account_as_visited = mark_account_as_visited

    # password_last_changed: moto keeps no date for a login profile.
    original_create_profile = iam.IAMBackend.create_login_profile
    original_update_profile = iam.IAMBackend.update_login_profile

    def create_login_profile(self, user_name, password):
        user = original_create_profile(self, user_name, password)
        user._sandbox_password_changed = _utcnow()
        return user

    def update_login_profile(self, user_name, password, password_reset_required):
        user = original_update_profile(self, user_name, password, password_reset_required)
        if password:
            user._sandbox_password_changed = _utcnow()
        return user

    iam.IAMBackend.create_login_profile = create_login_profile
    iam.IAMBackend.update_login_profile = update_login_profile

    # GetAccessKeyLastUsed: moto lists every key of every user of every account on each call (24 ms
    # a call with 13,000 keys). The backend's key index answers the same in microseconds; a key
    # counts only while its user still holds it, as in moto (deleting a user leaves the index entry).
    def get_access_key_last_used(self, access_key_id):
        for account in list(iam.iam_backends.values()):
            backend = account[self.partition]
            key = backend.access_keys.get(access_key_id)
            user = backend.users.get(key.user_name) if key is not None and key.user_name is not None else None
            if user is not None and key in user.access_keys:
                return {"user_name": key.user_name, "last_used": key.last_used}
        raise iam.NotFoundException(f"The Access Key with id {access_key_id} cannot be found")

    iam.IAMBackend.get_access_key_last_used = get_access_key_last_used


# ---- routes ------------------------------------------------------------------------------------


def _register_routes():
    from moto.moto_api._internal import urls

    routes = {
        "{0}/moto-api/sandbox/directory": sandbox_directory,
        "{0}/moto-api/sandbox/iam/credentials": sandbox_iam_credentials,
        "{0}/moto-api/sandbox/iam/ages": sandbox_iam_ages,
        "{0}/moto-api/sandbox/iam/key-used": sandbox_iam_key_used,
        "{0}/moto-api/sandbox/iam/principals": sandbox_iam_principals,
    }
    urls.url_paths.update(routes)


def _route(handler):
    """(request) -> (status, body) into moto's (status, headers, text), with HookError as its status."""

    def wrapped(request, full_url, headers):
        try:
            status, body = handler(request)
        except HookError as e:
            status, body = e.status, {"error": e.message}
        except Exception as e:  # a bug here must not look like a moto answer
            status, body = 500, {"error": f"{type(e).__name__}: {e}"}
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    wrapped.__name__ = handler.__name__
    return wrapped


def _query(request):
    return {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}


def _json_body(request):
    try:
        body = json.loads(request.data.decode("utf-8") or "{}")
    except ValueError:
        raise HookError(400, "the body must be JSON")
    if not isinstance(body, dict):
        raise HookError(400, "the body must be a JSON object")
    return body


def _backend(account_id):
    from moto.iam.models import iam_backends

    if not isinstance(account_id, str) or len(account_id) != 12 or not account_id.isdigit():
        raise HookError(400, f"not a 12-digit account id: {account_id!r}")
    return iam_backends[account_id]["aws"]


# ---- dates -------------------------------------------------------------------------------------


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def _parse_date(text):
    """An ISO 8601 date-time (validated by the gateway) as moto keeps dates: naive UTC."""
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def _iso(value):
    if value is None:
        return None
    if isinstance(value, (int, float)):
        value = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


def _key_last_used(key):
    """moto keeps an AccessKeyLastUsed, or (set by hand, see moto issue 5927) a bare datetime."""
    used = key.last_used
    if used is None:
        return None
    if isinstance(used, datetime.datetime):
        return {"at": _iso(used), "service": None, "region": None}
    return {"at": _iso(used.timestamp), "service": used.service, "region": used.region}


# ---- the key directory -------------------------------------------------------------------------


@_route
def sandbox_directory(request):
    """
    What moto-directory.ts reads, in data.json's shape but only those fields: data.json reads every
    attribute of every model (a user's groups, a role's instance profiles: scans of the whole
    account) and grows to tens of MB with thousands of principals.
    """
    from moto.core.model_instances import model_data as registry

    def listed(service, name, fields):
        model = registry.get(service, {}).get(name)
        out = []
        for instance in list(model.instances_tracked if model is not None else []):
            row = {}
            for field in fields:
                value = getattr(instance, field, None)
                if value is not None:
                    row[field] = value
            out.append(row)
        return out

    return 200, {
        "iam": {
            "User": listed("iam", "User", ["name", "arn", "account_id"]),
            "AccessKey": listed("iam", "AccessKey", ["access_key_id", "secret_access_key", "user_name", "status", "account_id"]),
            "Role": listed("iam", "Role", ["name", "arn", "account_id", "assume_role_policy_document", "max_session_duration", "policies"]),
        },
        "sts": {"AssumedRole": listed("sts", "AssumedRole", ["access_key_id", "secret_access_key", "session_token", "arn"])},
    }


# ---- the credential report's facts -------------------------------------------------------------


@_route
def sandbox_iam_credentials(request):
    account_id = _query(request).get("account", "")
    backend = _backend(account_id)
    with _LOCK:
        users = list(backend.users.values())
        roles = list(backend.roles.values())
        groups = list(backend.groups.values())
        created = [getattr(backend, "_sandbox_created", None)] + [x.create_date for x in users + roles + groups]
        created = [c for c in created if c is not None]
        policy = backend.account_password_policy
        max_age = policy.max_password_age if policy is not None and policy.max_password_age else None
        facts = [_user_facts(u) for u in users]
    return 200, {
        "accountId": account_id,
        "accountCreated": _iso(min(created)) if created else _iso(_utcnow()),
        "passwordMaxAgeDays": max_age,
        "users": facts,
    }


def _user_facts(user):
    has_password = bool(user.password)
    changed = getattr(user, "_sandbox_password_changed", None) or user.create_date
    return {
        "name": user.name,
        "arn": user.arn,
        "created": _iso(user.create_date),
        "passwordEnabled": has_password,
        "passwordLastUsed": _iso(user.password_last_used),
        "passwordLastChanged": _iso(changed) if has_password else None,
        "mfaActive": len(user.mfa_devices) > 0,
        "accessKeys": [
            {"accessKeyId": k.access_key_id, "active": k.status == "Active", "created": _iso(k.create_date), "lastUsed": _key_last_used(k)}
            for k in user.access_keys
        ],
        "certificates": [{"active": c.status == "Active", "uploaded": _iso(c.upload_date)} for c in user.signing_certificates.values()],
    }


# ---- key use the gateway saw -------------------------------------------------------------------


@_route
def sandbox_iam_key_used(request):
    """A call the gateway answered itself (moto never saw it) still counts as a use of its key."""
    from moto.iam import models as iam

    body = _json_body(request)
    key_id, service, region = body.get("accessKeyId"), body.get("service"), body.get("region")
    if not all(isinstance(v, str) and v for v in (key_id, service, region)):
        raise HookError(400, "accessKeyId, service and region are required strings")
    account_id = iam.get_account_id_from(key_id)
    iam.mark_account_as_visited(account_id=account_id, access_key=key_id, service=service, region=region)
    return 200, {"accountId": account_id}


# ---- time travel -------------------------------------------------------------------------------


@_route
def sandbox_iam_ages(request):
    if request.method == "POST":
        return 200, _apply_ages(_json_body(request).get("overrides"))
    if request.method == "DELETE":
        return 200, {"cleared": _clear_ages(_query(request).get("account"))}
    if request.method == "GET":
        return 200, {"overrides": _list_ages()}
    raise HookError(405, f"{request.method} is not supported here")


def _find_key(backend, account_id, user_name, key_id):
    user = _find_user(backend, account_id, user_name)
    for key in user.access_keys:
        if key.access_key_id == key_id:
            return key
    raise HookError(404, f"the access key {key_id} is not a key of the user {user_name} in account {account_id}")


def _find_user(backend, account_id, user_name):
    user = backend.users.get(user_name)
    if user is None:
        raise HookError(404, f"no user {user_name} in account {account_id}")
    return user


def _find_role(roles_by_name, account_id, role_name):
    role = roles_by_name.get(role_name)
    if role is None:
        raise HookError(404, f"no role {role_name} in account {account_id}")
    return role


def _apply_ages(overrides):
    """
    Overrides (already validated by the gateway, iam-ages.ts) are resolved and checked first, then
    set: one that names something missing, or would make a date precede its entity's creation,
    changes nothing.
    """
    from moto.iam.models import AccessKeyLastUsed

    if not isinstance(overrides, list):
        raise HookError(400, "overrides must be a list")
    with _LOCK:
        # (kind, account, entity id) -> (moto object, {attribute: new value})
        planned = {}
        # moto keeps roles by id and finds one by name with a scan of the account; once per request here.
        roles_by_name = {}
        for o in overrides:
            kind, account_id = o.get("kind"), o.get("accountId")
            backend = _backend(account_id)
            if kind == "key":
                obj = _find_key(backend, account_id, o["userName"], o["accessKeyId"])
                ident = f"{o['userName']}/{o['accessKeyId']}"
            elif kind == "user":
                obj = _find_user(backend, account_id, o["userName"])
                ident = o["userName"]
            elif kind == "role":
                if account_id not in roles_by_name:
                    roles_by_name[account_id] = {r.name: r for r in backend.roles.values()}
                obj = _find_role(roles_by_name[account_id], account_id, o["roleName"])
                ident = o["roleName"]
            else:
                raise HookError(400, f"unknown override kind {kind!r}")
            entry = planned.setdefault((kind, account_id, ident), (obj, {}))
            fields = entry[1]
            if "createdAt" in o:
                fields["create_date"] = _parse_date(o["createdAt"])
                if kind == "user":
                    fields["_explicit_create"] = True
            if kind == "key" and "lastUsed" in o:
                used = o["lastUsed"]
                fields["last_used"] = None if used is None else AccessKeyLastUsed(_parse_date(used["at"]), used["service"], used["region"])
            if kind == "user" and "passwordLastUsedAt" in o:
                fields["password_last_used"] = None if o["passwordLastUsedAt"] is None else _parse_date(o["passwordLastUsedAt"])
            if kind == "role" and "lastUsed" in o:
                used = o["lastUsed"]
                fields["last_used"] = None if used is None else _parse_date(used["at"])
                fields["last_used_region"] = None if used is None else used["region"]

        # A key cannot be older than its user: a key created before its user was moves the user's
        # creation back with it (unless this request set the user's creation itself).
        for (kind, account_id, ident), (obj, fields) in list(planned.items()):
            if kind != "key" or "create_date" not in fields:
                continue
            user_name = ident.split("/")[0]
            user = _find_user(_backend(account_id), account_id, user_name)
            entry = planned.setdefault(("user", account_id, user_name), (user, {}))
            user_fields = entry[1]
            explicit = user_fields.get("_explicit_create")
            user_created = user_fields.get("create_date", user.create_date)
            if fields["create_date"] < user_created:
                if explicit:
                    raise HookError(
                        400,
                        f"the access key {ident} in account {account_id} would be created ({_iso(fields['create_date'])}) before its user ({_iso(user_created)})",
                    )
                user_fields["create_date"] = fields["create_date"]

        for (kind, account_id, ident), (obj, fields) in planned.items():
            fields.pop("_explicit_create", None)
            created = fields.get("create_date", obj.create_date)
            if kind == "user" and "create_date" in fields:
                for key in obj.access_keys:
                    key_plan = planned.get(("key", account_id, f"{ident}/{key.access_key_id}"))
                    key_created = key_plan[1].get("create_date", key.create_date) if key_plan else key.create_date
                    if key_created < created:
                        raise HookError(
                            400,
                            f"the user {ident} in account {account_id} would be created ({_iso(created)}) after its access key {key.access_key_id} ({_iso(key_created)}): set the key's createdAt too",
                        )
            for field, what in (("last_used", "last used"), ("password_last_used", "password last used")):
                value = fields.get(field, getattr(obj, field, None))
                if value is None:
                    continue
                at = value.timestamp if isinstance(value, AccessKeyLastUsed) else value
                if at < created:
                    name = {"key": "access key", "user": "user", "role": "role"}[kind]
                    raise HookError(
                        400,
                        f"the {name} {ident} in account {account_id} would be {what} ({_iso(at)}) before it was created ({_iso(created)}): set createdAt too",
                    )

        for (kind, account_id, ident), (obj, fields) in planned.items():
            for field, value in fields.items():
                slot = _OVERRIDES.setdefault((kind, account_id, ident, field), {"original": getattr(obj, field, None), "object": obj})
                slot["applied"] = value
                setattr(obj, field, value)
    return {"applied": len(overrides)}


def _clear_ages(account_id):
    """Puts back what the overrides replaced, unless something real (a use of the key) replaced them since."""
    cleared = 0
    with _LOCK:
        for slot_key in list(_OVERRIDES):
            kind, account, ident, field = slot_key
            if account_id and account != account_id:
                continue
            slot = _OVERRIDES.pop(slot_key)
            obj = slot["object"]
            if getattr(obj, field, None) is slot["applied"]:
                setattr(obj, field, slot["original"])
            cleared += 1
    return cleared


def _list_ages():
    from moto.iam.models import AccessKeyLastUsed

    out = []
    with _LOCK:
        for (kind, account, ident, field), slot in _OVERRIDES.items():
            value = slot["applied"]
            if isinstance(value, AccessKeyLastUsed):
                value = {"at": _iso(value.timestamp), "service": value.service, "region": value.region}
            elif isinstance(value, datetime.datetime):
                value = _iso(value)
            current = getattr(slot["object"], field, None)
            out.append({"kind": kind, "accountId": account, "name": ident, "field": field, "value": value, "inForce": current is slot["applied"]})
    return out


# ---- bulk creation -----------------------------------------------------------------------------


@_route
def sandbox_iam_principals(request):
    """
    Creates groups, users (tags, login profile, virtual MFA, access keys, managed and inline
    policies, group memberships) and roles in one account, with moto's own IAM backend methods:
    thousands of principals in seconds where one API call per item through moto takes minutes.
    Everything is checked before anything is created (names free, policies and groups existing).
    """
    body = _json_body(request)
    account_id = body.get("accountId")
    backend = _backend(account_id)
    groups = body.get("groups") or []
    users = body.get("users") or []
    roles = body.get("roles") or []
    with _LOCK:
        _check_new(backend, account_id, groups, users, roles)
        policies = {p.arn: p for p in backend.managed_policies.values()}
        out = {"accountId": account_id, "groups": [], "users": [], "roles": []}
        for g in groups:
            group = backend.create_group(g["name"], g.get("path") or "/")
            for arn in g.get("managedPolicies") or []:
                policies[arn].attach_to(group)
            out["groups"].append({"name": group.name, "arn": group.arn})
        for u in users:
            user = backend.create_user(backend.region_name, u["name"], u.get("path") or "/", u.get("tags") or [])
            if u.get("loginProfile"):
                backend.create_login_profile(user.name, secrets.token_urlsafe(18))
            if u.get("mfa"):
                device = backend.create_virtual_mfa_device(user.name, "/")
                backend.enable_mfa_device(user.name, device.serial_number, "123456", "654321")
            keys = []
            for _ in range(int(u.get("accessKeys") or 0)):
                key = backend.create_access_key(user.name)
                keys.append({"accessKeyId": key.access_key_id, "secretAccessKey": key.secret_access_key})
            for arn in u.get("managedPolicies") or []:
                policies[arn].attach_to(user)
            for name, document in (u.get("inlinePolicies") or {}).items():
                user.policies[name] = document
            for group_name in u.get("groups") or []:
                group = backend.groups[group_name]
                if user not in group.users:
                    group.users.append(user)
            out["users"].append({"name": user.name, "arn": user.arn, "accessKeys": keys})
        for r in roles:
            role = backend.create_role(
                role_name=r["name"],
                assume_role_policy_document=r["trustPolicy"],
                path=r.get("path") or "/",
                permissions_boundary=None,
                # None, as moto's CreateRole passes when the call has no Description (AWS then shows none).
                description=r.get("description"),
                tags=r.get("tags") or [],
                max_session_duration=str(r.get("maxSessionDuration") or 3600),
            )
            for arn in r.get("managedPolicies") or []:
                policies[arn].attach_to(role)
            for name, document in (r.get("inlinePolicies") or {}).items():
                role.policies[name] = document
            out["roles"].append({"name": role.name, "arn": role.arn})
    return 200, out


def _check_new(backend, account_id, groups, users, roles):
    def clash(kind, names, existing):
        taken = [n for n in names if n in existing]
        seen, dupes = set(), []
        for n in names:
            if n in seen:
                dupes.append(n)
            seen.add(n)
        if taken:
            raise HookError(409, f"{len(taken)} {kind} already exist in account {account_id}: {', '.join(taken[:5])}")
        if dupes:
            raise HookError(400, f"{kind} named more than once: {', '.join(dupes[:5])}")

    clash("groups", [g["name"] for g in groups], backend.groups)
    clash("users", [u["name"] for u in users], backend.users)
    # Role names are unique case-insensitively in IAM.
    clash("roles", [r["name"].lower() for r in roles], {r.name.lower() for r in backend.roles.values()})
    known = {p.arn for p in backend.managed_policies.values()}
    wanted = {arn for x in groups + users + roles for arn in x.get("managedPolicies") or []}
    missing = sorted(wanted - known)
    if missing:
        raise HookError(404, f"no managed policy {', '.join(missing[:5])} in account {account_id} (AWS managed policies need MOTO_IAM_LOAD_MANAGED_POLICIES=true)")
    group_names = set(backend.groups) | {g["name"] for g in groups}
    unknown = sorted({name for u in users for name in u.get("groups") or []} - group_names)
    if unknown:
        raise HookError(404, f"no group {', '.join(unknown[:5])} in account {account_id}")
