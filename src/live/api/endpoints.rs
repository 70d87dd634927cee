//! The typed endpoint calls: paged lists, records by id, blueprints, connection tests.

use std::collections::{BTreeSet, HashSet};

use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::error::{ApiError, Request};
use super::transport::Run;
use crate::live::decode::{self, row_id};
use crate::live::{Connection, StoredObject, Verification};
use crate::model::RefKind;

/// A server that keeps inventing new ids would otherwise page forever when no request cap is set.
const MAX_PAGES: u64 = 100_000;

impl Run {
    fn list_url(&self, team: u64, filter: Option<&Group>, offset: u64) -> Url {
        let mut url = self.endpoint(&["connections"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("teamId", &team.to_string());
            if let Some((kind, scopes)) = filter {
                q.append_pair("type[]", kind);
                let key = format!("{kind}[]");
                for scope in scopes {
                    q.append_pair(&key, scope);
                }
            }
            q.append_pair("pg[limit]", &self.cfg().page_size.to_string());
            q.append_pair("pg[offset]", &offset.to_string());
        }
        url
    }

    /// Every row of a team's (optionally filtered) connection list.
    pub(super) async fn list_all(
        &self,
        team: u64,
        filter: Option<&Group>,
    ) -> Result<Vec<Value>, ApiError> {
        Ok(self.list_counted(team, filter).await?.0)
    }

    /// [`Run::list_all`], with the requests the listing took.
    pub(super) async fn list_counted(
        &self,
        team: u64,
        filter: Option<&Group>,
    ) -> Result<(Vec<Value>, u64), ApiError> {
        self.paged_counted("connections", |offset| self.list_url(team, filter, offset))
            .await
    }

    /// `GET /{what}?teamId=T`, paged the same way as connections.
    pub(super) fn team_url(&self, what: &str, team: u64, offset: u64) -> Url {
        let mut url = self.endpoint(&[what]);
        url.query_pairs_mut()
            .append_pair("teamId", &team.to_string())
            .append_pair("pg[limit]", &self.cfg().page_size.to_string())
            .append_pair("pg[offset]", &offset.to_string());
        url
    }

    /// Every row of the `key` list the URLs give.
    pub(super) async fn paged(
        &self,
        key: &str,
        url_at: impl Fn(u64) -> Url,
    ) -> Result<Vec<Value>, ApiError> {
        Ok(self.paged_counted(key, url_at).await?.0)
    }

    /// Every row of the `key` list the URLs give, and the pages asked, paging until a short
    /// page, `pg.total`, a page longer than asked (a server that ignores `pg[]` sends every
    /// row at once), or a page that brings no new id.
    async fn paged_counted(
        &self,
        key: &str,
        url_at: impl Fn(u64) -> Url,
    ) -> Result<(Vec<Value>, u64), ApiError> {
        let page_size = u64::from(self.cfg().page_size);
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        let mut offset = 0u64;
        for page_number in 1..=MAX_PAGES {
            let url = url_at(offset);
            let answer = self.call(Method::GET, &url).await?;
            let decode::Page { rows: page, total } = decode::page(&answer, key)
                .map_err(|e| self.bad_answer(Request::new(&Method::GET, &url), e))?;
            let mut new = 0usize;
            for row in page {
                match row_id(row) {
                    Some(id) if !seen.insert(id) => {}
                    Some(_) => {
                        new += 1;
                        rows.push(row.clone());
                    }
                    // Kept for exports, but it cannot prove that paging moves forward.
                    None => rows.push(row.clone()),
                }
            }
            let len = page.len() as u64;
            offset += len;
            if len != page_size || new == 0 || total.is_some_and(|t| offset >= t) {
                return Ok((rows, page_number));
            }
        }
        Ok((rows, MAX_PAGES))
    }

    /// The blueprint of a scenario, with its inputs and scheduling (see [`decode::blueprint`]).
    pub(super) async fn blueprint(&self, id: u64) -> Result<String, ApiError> {
        let url = self.endpoint(&["scenarios", &id.to_string(), "blueprint"]);
        let body = self.call_raw(Method::GET, &url).await?;
        decode::blueprint(&body).map_err(|e| self.bad_answer(Request::new(&Method::GET, &url), e))
    }

    /// `GET /hooks/{id}`, `/data-stores/{id}`, `/keys/{id}`: the object, whichever team it is in.
    pub(super) async fn object_by_id(
        &self,
        kind: RefKind,
        id: u64,
    ) -> Result<StoredObject, ApiError> {
        let Some((path, _)) = crate::live::object_list(kind) else {
            return Err(ApiError::Internal(format!(
                "no endpoint for {}",
                kind.name()
            )));
        };
        self.get_json(&[path, &id.to_string()], &[], |answer| {
            let row = crate::live::object_record_key(kind)
                .and_then(|key| answer.get(key))
                .unwrap_or(&answer);
            match StoredObject::from_json(kind, row) {
                Some(o) if o.id == id => Ok(o),
                Some(o) => Err(format!(
                    "the answer describes {} {} instead",
                    kind.name(),
                    o.id
                )),
                None => Err(format!("the answer holds no {} with an id", kind.name())),
            }
        })
        .await
    }

    pub(super) async fn by_id(&self, id: u64) -> Result<Connection, ApiError> {
        self.get_json(&["connections", &id.to_string()], &[], |answer| {
            decode::connection(&answer, id)
        })
        .await
    }

    /// `POST /connections/{id}/test`, or the seed's `/verify` where `/test` does not exist.
    pub(super) async fn verify(&self, id: u64) -> Result<Verification, ApiError> {
        let idtext = id.to_string();
        let mut last = None;
        for endpoint in ["test", "verify"] {
            let url = self.endpoint(&["connections", &idtext, endpoint]);
            match self.call(Method::POST, &url).await {
                Ok(answer) => {
                    return decode::verification(&answer)
                        .map_err(|e| self.bad_answer(Request::new(&Method::POST, &url), e));
                }
                Err(e) if e.is_not_found() => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| ApiError::Internal("no verify endpoint".into())))
    }
}

/// A scope check: connection type and the scopes it must hold.
pub(super) type Group = (String, BTreeSet<String>);
