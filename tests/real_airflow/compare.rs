//! `airflow --compare-with` on the real deployment (issue 30): a second
//! run of the DAG whose `chatty` fails its try 1 as the first run's did,
//! compared through the REST API with the last success, which the API's
//! try states say is the first run's try 2.

use std::time::Duration;

use super::airflow_run::{airflow, DAG};

#[test]
fn last_success_through_the_api_is_the_earlier_runs_successful_try() {
    let airflow = airflow();
    let first = &airflow.first_run;
    // Small tries: their batches are templates the first run's try 2 had.
    let second = airflow.trigger(DAG, r#"{"mb": 1}"#);
    airflow.wait(&second, Duration::from_secs(300));
    let out = super::logweave(&[
        "airflow".as_ref(),
        "--api".as_ref(),
        airflow.api.as_ref(),
        "--dag".as_ref(),
        DAG.as_ref(),
        "--run".as_ref(),
        second.id.as_ref(),
        "--task".as_ref(),
        "chatty".as_ref(),
        "--try".as_ref(),
        "1".as_ref(),
        "--compare-with".as_ref(),
        "last-success".as_ref(),
        "--print".as_ref(),
        "--only-new".as_ref(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("against try 2 of run {}:", first.id)),
        "{stderr}"
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    let new: Vec<&str> = printed.lines().collect();
    assert_eq!(new.len(), 1, "only the failure is new: {printed}");
    assert!(new[0].contains("Task failed with exception"), "{printed}");
}
