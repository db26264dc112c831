//! The committed OpenAPI document must match what the server serves (`just openapi` regenerates
//! it), and every operation must be documented well enough for an integrator.

use affianca_tests::{spawn_app, workspace_root};
use reqwest::Method;
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn served_document() -> Value {
    let app = spawn_app().await;
    let res = app
        .request(Method::GET, "/api/v1/openapi.json", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_committed_openapi_document_is_up_to_date() {
    let served = served_document().await;
    let path = workspace_root().join("openapi/openapi.json");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("openapi/openapi.json exists"))
            .expect("openapi/openapi.json is JSON");
    assert!(
        committed == served,
        "openapi/openapi.json differs from the served document: run `just openapi` and commit the diff"
    );
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
}

fn schema_has_example(doc: &Value, schema: &Value) -> bool {
    if schema.get("example").is_some() || schema.get("examples").is_some() {
        return true;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return schema_has_example(doc, &doc["components"]["schemas"][name]);
    }
    if let Some(items) = schema.get("items") {
        return schema_has_example(doc, items);
    }
    false
}

#[tokio::test]
async fn every_operation_has_summary_tag_security_errors_and_examples() {
    let doc = served_document().await;
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = format!("{} {path}", method.to_uppercase());
            if op["summary"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{id}: no summary"));
            }
            if op["tags"].as_array().is_none_or(Vec::is_empty) {
                problems.push(format!("{id}: no tag"));
            }
            let Some(security) = op["security"].as_array() else {
                problems.push(format!("{id}: security not stated"));
                continue;
            };
            let responses = op["responses"].as_object().unwrap();
            let protected = security.iter().any(|s| s.get("bearer").is_some());
            if protected && !responses.contains_key("401") {
                problems.push(format!("{id}: protected but no 401 response"));
            }
            if !responses
                .keys()
                .any(|k| k.starts_with('4') || k.starts_with('5'))
            {
                problems.push(format!("{id}: no error response"));
            }
            for (status, resp) in responses {
                // Examples are asked of JSON bodies; a PDF or a CSV has no meaningful one.
                for (ctype, content) in resp["content"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(c, _)| c.contains("json"))
                {
                    let has = content.get("example").is_some()
                        || content.get("examples").is_some()
                        || schema_has_example(&doc, &content["schema"]);
                    if !has {
                        problems.push(format!("{id} {status} {ctype}: no example"));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "undocumented:\n{}",
        problems.join("\n")
    );
}
