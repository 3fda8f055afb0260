//! One statement of a policy: parsing and validating it with MinIO's rules (which fields it
//! needs for its kind of actions, which resources and condition keys those actions accept),
//! deciding whether it applies to a request, and writing it back as canonical JSON.

use crate::PolicyKind;
use crate::actions::{ActionPattern, Service};
use crate::condition::{ConditionClause, parse_conditions, write_conditions};
use crate::error::{Location, PolicyError, excerpt};
use crate::json::{Json, collect_fields, write_string, write_string_array};
use crate::pattern::{Case, Pattern, Syntax, VariableScope};
use crate::resource::{RequestResource, ResourceKind, ResourcePattern};

/// Whether a statement grants or refuses what it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

impl Effect {
    fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ActionClause {
    Action(Vec<ActionPattern>),
    NotAction(Vec<ActionPattern>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ResourceClause {
    Unspecified,
    Resource(Vec<ResourcePattern>),
    NotResource(Vec<ResourcePattern>),
}

/// What a statement's `Action` list is about; decides the `Resource` rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// S3 actions, or a `NotAction` list: `Resource` required and matched.
    S3,
    /// Admin or STS actions: `Resource` optional and ignored (MinIO).
    Unscoped,
    /// KMS actions: `Resource` optional, KMS ARNs, matched when the request names a key.
    Kms,
    /// The bare `*` action: `Resource` optional, matched when given.
    Any,
}

/// A principal pattern of a bucket-policy statement (`{"AWS": [...]}`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PrincipalPattern {
    text: Box<str>,
    pattern: Pattern,
}

/// A request as a statement sees it, prepared once per policy evaluation.
pub(crate) struct PreparedRequest<'r> {
    pub(crate) action: &'r str,
    pub(crate) resource: RequestResource<'r>,
    pub(crate) principal: Option<&'r str>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    sid: Option<String>,
    pub(crate) effect: Effect,
    principal: Option<Vec<PrincipalPattern>>,
    actions: ActionClause,
    resources: ResourceClause,
    scope: Scope,
    /// Sorted by operator, then key.
    conditions: Vec<ConditionClause>,
}

const FIELDS: [&str; 8] = [
    "Sid",
    "Effect",
    "Principal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

impl Statement {
    /// Adds the normalised condition keys the statement reads (conditions and `${…}` variables
    /// of its resources and condition values); no other key can change how it decides.
    pub(crate) fn collect_keys(&self, out: &mut Vec<Box<str>>) {
        if let ResourceClause::Resource(patterns) | ResourceClause::NotResource(patterns) =
            &self.resources
        {
            for pattern in patterns {
                out.extend(pattern.variable_keys().iter().cloned());
            }
        }
        for clause in &self.conditions {
            clause.collect_keys(out);
        }
    }

    /// Parses and validates statement number `index` of a policy of the given kind.
    pub(crate) fn parse(
        json: &Json,
        index: usize,
        kind: PolicyKind,
    ) -> Result<Statement, PolicyError> {
        let members = json.as_object(&Location::statement(index, None, ""))?;
        // The Sid names the statement in every later error, so read it first.
        let sid_text = members
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("Sid"))
            .and_then(|(_, value)| match value {
                Json::String(s) => Some(s.as_str()),
                _ => None,
            });
        let at = Location::statement(index, sid_text, "");
        let [
            sid,
            effect,
            principal,
            action,
            not_action,
            resource,
            not_resource,
            condition,
        ] = collect_fields(members, FIELDS, &at)?;
        let field = |name: &str| at.child(name);

        let sid = match sid {
            Some(value) => Some(value.as_str(&field("Sid"))?.to_owned()).filter(|s| !s.is_empty()),
            None => None,
        };
        let effect = match effect {
            None => {
                return Err(PolicyError::MissingField {
                    at: at.clone(),
                    field: "Effect",
                });
            }
            Some(value) => match value.as_str(&field("Effect"))? {
                "Allow" => Effect::Allow,
                "Deny" => Effect::Deny,
                other => {
                    return Err(PolicyError::InvalidEffect {
                        at: field("Effect"),
                        found: excerpt(other),
                    });
                }
            },
        };
        let principal = match (kind, principal) {
            (PolicyKind::Bucket, Some(value)) => Some(parse_principal(value, &field("Principal"))?),
            (PolicyKind::Bucket, None) => {
                return Err(PolicyError::PrincipalRequired { at: at.clone() });
            }
            (_, Some(_)) => {
                return Err(PolicyError::PrincipalNotAllowed {
                    at: field("Principal"),
                });
            }
            (_, None) => None,
        };

        let actions = match (action, not_action) {
            (Some(_), Some(_)) => {
                return Err(PolicyError::ConflictingFields {
                    at: at.clone(),
                    first: "Action",
                    second: "NotAction",
                });
            }
            (Some(list), None) => ActionClause::Action(parse_actions(list, &field("Action"))?),
            (None, Some(list)) => {
                ActionClause::NotAction(parse_actions(list, &field("NotAction"))?)
            }
            (None, None) => {
                return Err(PolicyError::MissingField {
                    at: at.clone(),
                    field: "Action",
                });
            }
        };
        let scope = match &actions {
            ActionClause::NotAction(_) => Scope::S3,
            ActionClause::Action(list) => scope_of(list, &field("Action"))?,
        };
        // Canonical order only after classification, so errors quote the document's order.
        let actions = match actions {
            ActionClause::Action(list) => ActionClause::Action(sorted_unique(list)),
            ActionClause::NotAction(list) => ActionClause::NotAction(sorted_unique(list)),
        };

        let resources = match (resource, not_resource) {
            (Some(_), Some(_)) => {
                return Err(PolicyError::ConflictingFields {
                    at: at.clone(),
                    first: "Resource",
                    second: "NotResource",
                });
            }
            (Some(list), None) => {
                ResourceClause::Resource(parse_resources(list, &field("Resource"), scope)?)
            }
            (None, Some(list)) => {
                ResourceClause::NotResource(parse_resources(list, &field("NotResource"), scope)?)
            }
            (None, None) => ResourceClause::Unspecified,
        };
        if resources == ResourceClause::Unspecified
            && (scope == Scope::S3 || kind == PolicyKind::Bucket)
        {
            return Err(PolicyError::MissingField {
                at: at.clone(),
                field: "Resource",
            });
        }

        let mut conditions = match condition {
            Some(value) => parse_conditions(value, &field("Condition"))?,
            None => Vec::new(),
        };
        conditions.sort_by(|a, b| {
            (a.operator(), &a.key().display).cmp(&(b.operator(), &b.key().display))
        });

        let statement = Statement {
            sid,
            effect,
            principal,
            actions,
            resources,
            scope,
            conditions,
        };
        statement.check_condition_keys(&field("Condition"))?;
        if kind == PolicyKind::Bucket {
            statement.check_bucket_policy_resources(&at)?;
        }
        Ok(statement)
    }

    /// MinIO's per-action condition-key table (checked for `Action` lists only, as MinIO does).
    fn check_condition_keys(&self, at: &Location) -> Result<(), PolicyError> {
        let ActionClause::Action(actions) = &self.actions else {
            return Ok(());
        };
        for clause in &self.conditions {
            let key = clause.key();
            let refusal = match self.scope {
                Scope::Unscoped
                    if actions[0].service() == Service::Admin && !key.allowed_for_admin() =>
                {
                    Some("admin actions".to_owned())
                }
                Scope::Unscoped
                    if actions[0].service() == Service::Sts && !key.allowed_for_sts() =>
                {
                    Some("STS actions (only `sts:DurationSeconds`)".to_owned())
                }
                Scope::S3 => actions
                    .iter()
                    .find(|action| !key.allowed_for_s3_action(|name| action.covers_name(name)))
                    .map(|action| format!("action `{}`", action.text())),
                _ => None,
            };
            if let Some(with) = refusal {
                return Err(PolicyError::UnsupportedConditionKey {
                    at: at.child(clause.operator()),
                    key: key.display.clone(),
                    with,
                });
            }
        }
        Ok(())
    }

    /// MinIO's bucket-policy rule: object actions need an object resource (`/` or `*`),
    /// bucket actions a bucket resource.
    fn check_bucket_policy_resources(&self, at: &Location) -> Result<(), PolicyError> {
        let ActionClause::Action(actions) = &self.actions else {
            return Ok(());
        };
        let (field, resources) = match &self.resources {
            ResourceClause::Resource(list) => ("Resource", list),
            ResourceClause::NotResource(list) => ("NotResource", list),
            ResourceClause::Unspecified => return Ok(()),
        };
        for action in actions {
            let (fits, needed) = if action.covers_object_action() {
                (
                    resources.iter().any(ResourcePattern::is_object_level),
                    "an object resource (`arn:aws:s3:::bucket/…`)",
                )
            } else {
                (
                    resources.iter().any(ResourcePattern::is_bucket_level),
                    "a bucket resource (`arn:aws:s3:::bucket`)",
                )
            };
            if !fits {
                return Err(PolicyError::InvalidResource {
                    at: at.child(field),
                    resource: excerpt(resources[0].text()),
                    reason: format!("action `{}` needs {needed}", action.text()),
                });
            }
        }
        Ok(())
    }

    /// The bucket-policy check that every resource refers to `bucket`.
    pub(crate) fn check_bucket(&self, index: usize, bucket: &str) -> Result<(), PolicyError> {
        let (field, resources) = match &self.resources {
            ResourceClause::Resource(list) => ("Resource", list),
            ResourceClause::NotResource(list) => ("NotResource", list),
            ResourceClause::Unspecified => return Ok(()),
        };
        match resources.iter().find(|r| !r.refers_to_bucket(bucket)) {
            Some(outside) => Err(PolicyError::ResourceOutsideBucket {
                at: Location::statement(index, self.sid.as_deref(), field),
                resource: excerpt(outside.text()),
                bucket: excerpt(bucket),
            }),
            None => Ok(()),
        }
    }

    /// Whether the statement matches the request (principal, action, resource, conditions).
    pub(crate) fn applies(&self, request: &PreparedRequest<'_>, scope: &VariableScope<'_>) -> bool {
        if let Some(principals) = &self.principal {
            let matched = principals.iter().any(|p| match request.principal {
                Some(name) => p.pattern.matches_plain(name, Case::Sensitive),
                None => &*p.text == "*",
            });
            if !matched {
                return false;
            }
        }
        let action_matches = match &self.actions {
            ActionClause::Action(list) => list.iter().any(|a| a.matches(request.action)),
            ActionClause::NotAction(list) => !list.iter().any(|a| a.matches(request.action)),
        };
        if !action_matches {
            return false;
        }
        let check_resources = match self.scope {
            Scope::Unscoped => false,
            Scope::Kms => !request.resource.is_keyless(),
            Scope::S3 | Scope::Any => true,
        };
        if check_resources {
            let resource_matches = match &self.resources {
                ResourceClause::Unspecified => true,
                ResourceClause::Resource(list) => {
                    list.iter().any(|r| r.matches(&request.resource, scope))
                }
                ResourceClause::NotResource(list) => {
                    !list.iter().any(|r| r.matches(&request.resource, scope))
                }
            };
            if !resource_matches {
                return false;
            }
        }
        self.conditions.iter().all(|c| c.evaluate(scope))
    }

    /// Equality of what the statement does, ignoring its Sid (MinIO's duplicate rule).
    pub(crate) fn same_rules(&self, other: &Statement) -> bool {
        self.effect == other.effect
            && self.principal == other.principal
            && self.actions == other.actions
            && self.resources == other.resources
            && self.conditions == other.conditions
    }

    /// Appends the statement as canonical JSON.
    pub(crate) fn write_json(&self, out: &mut String) {
        out.push('{');
        if let Some(sid) = &self.sid {
            out.push_str("\"Sid\":");
            write_string(out, sid);
            out.push(',');
        }
        out.push_str("\"Effect\":");
        write_string(out, self.effect.as_str());
        if let Some(principals) = &self.principal {
            out.push_str(",\"Principal\":{\"AWS\":");
            write_string_array(out, principals.iter().map(|p| &*p.text));
            out.push('}');
        }
        let (name, actions) = match &self.actions {
            ActionClause::Action(list) => ("Action", list),
            ActionClause::NotAction(list) => ("NotAction", list),
        };
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        write_string_array(out, actions.iter().map(ActionPattern::text));
        if let ResourceClause::Resource(list) | ResourceClause::NotResource(list) = &self.resources
        {
            let name = if matches!(self.resources, ResourceClause::Resource(_)) {
                "Resource"
            } else {
                "NotResource"
            };
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            write_string_array(out, list.iter().map(ResourcePattern::text));
        }
        if !self.conditions.is_empty() {
            out.push_str(",\"Condition\":");
            write_conditions(out, &self.conditions);
        }
        out.push('}');
    }
}

fn parse_actions(json: &Json, at: &Location) -> Result<Vec<ActionPattern>, PolicyError> {
    let texts = json.as_string_list(at)?;
    if texts.is_empty() {
        return Err(PolicyError::EmptyField { at: at.clone() });
    }
    texts
        .into_iter()
        .map(|text| {
            ActionPattern::parse(text).map_err(|suggestion| PolicyError::UnknownAction {
                at: at.clone(),
                action: excerpt(text),
                suggestion,
            })
        })
        .collect()
}

fn sorted_unique(mut actions: Vec<ActionPattern>) -> Vec<ActionPattern> {
    actions.sort_by(|a, b| a.text().cmp(b.text()));
    actions.dedup_by(|a, b| a.text() == b.text());
    actions
}

/// The scope of an `Action` list; one statement may not mix services (the bare `*` goes
/// with anything).
fn scope_of(actions: &[ActionPattern], at: &Location) -> Result<Scope, PolicyError> {
    if actions.iter().any(|a| a.service() == Service::Any) {
        return Ok(Scope::Any);
    }
    let first = &actions[0];
    if let Some(other) = actions.iter().find(|a| a.service() != first.service()) {
        return Err(PolicyError::MixedActions {
            at: at.clone(),
            first: excerpt(first.text()),
            second: excerpt(other.text()),
        });
    }
    Ok(match first.service() {
        Service::S3 => Scope::S3,
        Service::Admin | Service::Sts => Scope::Unscoped,
        Service::Kms => Scope::Kms,
        Service::Any => Scope::Any,
    })
}

fn parse_resources(
    json: &Json,
    at: &Location,
    scope: Scope,
) -> Result<Vec<ResourcePattern>, PolicyError> {
    let texts = json.as_string_list(at)?;
    if texts.is_empty() {
        return Err(PolicyError::EmptyField { at: at.clone() });
    }
    let mut resources = Vec::with_capacity(texts.len());
    for text in texts {
        let invalid = |reason: String| PolicyError::InvalidResource {
            at: at.clone(),
            resource: excerpt(text),
            reason,
        };
        let resource = ResourcePattern::parse(text).map_err(invalid)?;
        match (scope, resource.kind()) {
            (Scope::S3, ResourceKind::Kms) => {
                return Err(invalid(
                    "S3 actions need S3 resources (`arn:aws:s3:::…`)".into(),
                ));
            }
            (Scope::Kms, ResourceKind::S3) => {
                return Err(invalid(
                    "KMS actions need KMS resources (`arn:minio:kms:::key`)".into(),
                ));
            }
            _ => {}
        }
        resources.push(resource);
    }
    resources.sort_by(|a, b| a.text().cmp(b.text()));
    resources.dedup_by(|a, b| a.text() == b.text());
    Ok(resources)
}

fn parse_principal(json: &Json, at: &Location) -> Result<Vec<PrincipalPattern>, PolicyError> {
    let invalid = |reason: &str| PolicyError::InvalidPrincipal {
        at: at.clone(),
        reason: reason.to_owned(),
    };
    let names = match json {
        Json::String(s) if s == "*" => vec!["*"],
        Json::String(_) => {
            return Err(invalid(
                "a Principal string must be \"*\"; name principals as {\"AWS\": [\"…\"]}",
            ));
        }
        Json::Object(members) => {
            let mut aws = None;
            for (name, value) in members {
                if !name.eq_ignore_ascii_case("AWS") {
                    return Err(invalid(
                        "only `AWS` principals are supported (no `Service`, `Federated` or `CanonicalUser`)",
                    ));
                }
                if aws.replace(value).is_some() {
                    return Err(PolicyError::DuplicateField {
                        at: at.clone(),
                        field: excerpt(name),
                    });
                }
            }
            let Some(aws) = aws else {
                return Err(invalid(
                    "Principal must name at least one principal in `AWS`",
                ));
            };
            aws.as_string_list(&at.child("AWS"))?
        }
        other => {
            return Err(crate::json::wrong_type(
                at,
                "\"*\" or an object {\"AWS\": …}",
                other,
            ));
        }
    };
    if names.is_empty() || names.iter().any(|n| n.is_empty()) {
        return Err(invalid(
            "Principal must name at least one principal, none of them empty",
        ));
    }
    let mut principals: Vec<PrincipalPattern> = names
        .into_iter()
        .map(|name| PrincipalPattern {
            text: name.into(),
            pattern: Pattern::compile(name, Syntax::Glob),
        })
        .collect();
    principals.sort_by(|a, b| a.text.cmp(&b.text));
    principals.dedup_by(|a, b| a.text == b.text);
    Ok(principals)
}
