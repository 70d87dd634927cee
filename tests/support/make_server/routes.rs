//! The axum router and handlers: the endpoints bplint calls, fixed documents, Make's error
//! shape.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bplint::live::Connection;
use serde_json::{Value, json};

use super::faults::{echo, gate};
use super::{API, Shared, St};

pub(super) fn router(state: Arc<Shared>) -> Router {
    let mut router = Router::new()
        .route(&format!("{API}/connections"), get(list_connections))
        .route(&format!("{API}/connections/{{id}}"), get(get_connection))
        .route(
            &format!("{API}/connections/{{id}}/test"),
            post(test_connection),
        )
        .route(
            &format!("{API}/connections/{{id}}/verify"),
            post(verify_connection),
        )
        .route(&format!("{API}/scenarios"), get(list_scenarios))
        .route(
            &format!("{API}/scenarios/{{id}}/blueprint"),
            get(get_blueprint),
        );
    // Stored objects: the path, the answer's list key and, where Make has one, the key of
    // `GET <path>/{id}` (data structures are only listed).
    for (path, list, one) in [
        ("hooks", "hooks", Some("hook")),
        ("data-stores", "dataStores", Some("dataStore")),
        ("keys", "keys", Some("key")),
        ("data-structures", "dataStructures", None),
    ] {
        router = router.route(
            &format!("{API}/{path}"),
            get(move |st: St, q: RawQuery| list_objects(st, q, list)),
        );
        if let Some(one) = one {
            router = router.route(
                &format!("{API}/{path}/{{id}}"),
                get(move |st: St, id: Path<u64>| get_object(st, id, list, one)),
            );
        }
    }
    router
        .fallback(fixed_document)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// A fixed document (requirements, SDK sections), else Make's 404.
async fn fixed_document(State(st): St, req: Request) -> Response {
    let path = req.uri().path();
    let path = path.strip_prefix(API).unwrap_or(path);
    match st
        .documents
        .get(path)
        .filter(|_| req.method() == axum::http::Method::GET)
    {
        Some(d) => ([(header::CONTENT_TYPE, d.content_type)], d.body.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not found", "IM005"),
    }
}

/// Make's error shape: `{"detail", "message", "code"}`.
pub(super) fn error(status: StatusCode, message: &str, code: &str) -> Response {
    let detail = match status.as_u16() {
        401 => "The access token is missing, invalid or expired.",
        403 => "Permission denied.",
        404 => "The requested resource does not exist.",
        429 => "Too many requests.",
        _ => "The request could not be completed.",
    };
    let body = json!({"detail": detail, "message": message, "code": code});
    (status, Json(body)).into_response()
}

pub(super) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The `teamId` a list endpoint requires.
fn team_param(q: &[(String, String)]) -> Option<u64> {
    q.iter()
        .find(|(k, _)| k == "teamId")
        .and_then(|(_, v)| v.parse::<u64>().ok())
}

/// Make's answer to a list request without its `teamId`.
fn missing_team() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "Missing value of required parameter 'teamId'.",
        "SC400",
    )
}

// ---------------------------------------------------------------------------------------------
// Endpoints

fn page(q: &[(String, String)], rows: Vec<Value>, key: &str, ignore: bool) -> Response {
    if ignore {
        return Json(json!({ key: rows })).into_response();
    }
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let limit = get("pg[limit]").unwrap_or(10_000);
    let offset = get("pg[offset]").unwrap_or(0);
    let total = rows.len();
    let slice: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    Json(json!({ key: slice, "pg": {"limit": limit, "offset": offset, "total": total} }))
        .into_response()
}

async fn list_connections(State(st): St, RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    let q = parse_query(raw.as_deref());
    let params = |k: &str| -> Vec<String> {
        q.iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let Some(team) = team_param(&q) else {
        return missing_team();
    };
    let Some(rows) = st.teams.get(&team) else {
        return error(
            StatusCode::FORBIDDEN,
            &format!("Access denied.{}", echo(&st, &headers)),
            "SC403",
        );
    };
    let types = params("type[]");
    let mut out = Vec::new();
    for row in rows {
        let Some(conn) = Connection::from_json(row) else {
            continue;
        };
        let kind = conn.connection_type.clone().unwrap_or_default();
        if !types.is_empty() && !types.contains(&kind) {
            continue;
        }
        let mut row = row.clone();
        let wanted: BTreeSet<String> = params(&format!("{kind}[]")).into_iter().collect();
        if !wanted.is_empty() {
            let held: BTreeSet<String> = conn.scopes.unwrap_or_default().into_iter().collect();
            row["scoped"] = json!(wanted.is_subset(&held));
        }
        if !st.seed_shape {
            if let Some(obj) = row.as_object_mut() {
                obj.remove("scopes");
            }
        }
        out.push(row);
    }
    let name = |v: &Value| {
        v.get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let id = |v: &Value| v.get("id").and_then(Value::as_u64).unwrap_or(0);
    out.sort_by(|a, b| name(a).cmp(&name(b)).then(id(a).cmp(&id(b))));
    page(&q, out, "connections", st.faults.ignore_paging)
}

async fn get_connection(State(st): St, Path(id): Path<u64>) -> Response {
    match st.find(id) {
        Some(row) => Json(json!({ "connection": row })).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not found", "IM005"),
    }
}

async fn test_connection(state: St, id: Path<u64>) -> Response {
    if state.0.faults.no_test_endpoint {
        return error(StatusCode::NOT_FOUND, "Not found", "IM005");
    }
    verify_connection(state, id).await
}

async fn verify_connection(State(st): St, Path(id): Path<u64>) -> Response {
    if st.find(id).is_none() {
        return error(StatusCode::NOT_FOUND, "Not found", "IM005");
    }
    match st.verifications.get(&id) {
        Some((false, err)) => Json(json!({"verified": false, "error": err})).into_response(),
        _ => Json(json!({"verified": true})).into_response(),
    }
}

async fn list_scenarios(State(st): St, RawQuery(raw): RawQuery) -> Response {
    let q = parse_query(raw.as_deref());
    let Some(team) = team_param(&q) else {
        return missing_team();
    };
    let rows = st
        .scenarios
        .iter()
        .filter(|(t, _, _)| *t == team)
        .map(|(_, row, _)| row.clone())
        .collect();
    page(&q, rows, "scenarios", st.faults.ignore_paging)
}

async fn get_blueprint(State(st): St, Path(id): Path<u64>) -> Response {
    let found = st
        .scenarios
        .iter()
        .find(|(_, row, _)| row.get("id").and_then(Value::as_u64) == Some(id));
    match found {
        Some((_, _, blueprint)) => {
            let mut response = json!({
                "blueprint": blueprint,
                "scheduling": {"type": "indefinitely", "interval": 900},
            });
            if let Some(io) = st.scenario_io.get(&id) {
                response["metadata"] = io.clone();
            }
            Json(json!({"code": "OK", "response": response})).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "Scenario not found", "IM005"),
    }
}

/// A team with no rows of the kind gets an empty list, as Make answers for a team it can read.
async fn list_objects(State(st): St, RawQuery(raw): RawQuery, key: &'static str) -> Response {
    let q = parse_query(raw.as_deref());
    let Some(team) = team_param(&q) else {
        return missing_team();
    };
    let rows = st.objects.get(&(key, team)).cloned().unwrap_or_default();
    page(&q, rows, key, st.faults.ignore_paging)
}

/// `GET /hooks/{id}` (and data stores, keys): the row from any team, as `{"hook": {...}}`.
async fn get_object(State(st): St, Path(id): Path<u64>, list: &str, key: &str) -> Response {
    let found = st
        .objects
        .iter()
        .filter(|((k, _), _)| *k == list)
        .flat_map(|(_, rows)| rows)
        .find(|row| row.get("id").and_then(Value::as_u64) == Some(id));
    match found {
        Some(row) => Json(json!({ key: row })).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not found", "IM005"),
    }
}
