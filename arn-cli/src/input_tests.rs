use super::*;
use arn_client::model::{
    Activity, ArmResource, ChangeAction, EncodeBuf, Encoded, Encoder, Notification,
    NotificationResource, ResourceId,
};

/// A valid event on one line about node `name`.
fn event(name: &str) -> String {
    let id = ResourceId::parse(&format!(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc/nodes/{name}"
    ))
    .unwrap();
    let arm = ArmResource::new(
        Activity::Snapshot,
        &id,
        "2024-01-01",
        &serde_json::json!({"a b": "c \" d"}),
    )
    .unwrap();
    let n = Notification::new(
        "eastus",
        "Microsoft.ContainerService",
        vec![NotificationResource::new(arm, ChangeAction::Update)],
    );
    let mut buf = EncodeBuf::new();
    match Encoder::default().encode(&n, &mut buf).unwrap() {
        Encoded::Inline(e) => String::from_utf8(e.to_vec()).unwrap(),
        other => panic!("{other:?}"),
    }
}

/// The same event pretty-printed over many lines.
fn pretty(name: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&event(name)).unwrap();
    serde_json::to_string_pretty(&v).unwrap()
}

fn read(text: &str) -> Input {
    let mut input = Input::default();
    read_text("f.json", text, &mut input);
    input
}

fn summary(input: &Input) -> Vec<String> {
    input
        .problems
        .iter()
        .map(|p| format!("{}:{} {}", p.at.line, p.at.column, p.rule))
        .collect()
}

#[test]
fn ndjson_reports_each_bad_line_and_keeps_going() {
    let no_api_version = event("n3").replace(r#","apiVersion":"2024-01-01""#, "");
    let first = event("n1");
    let text = format!(
        "{first}\n\n{{\"topic\": oops}}\n{}\n{no_api_version}\n  {}\n",
        event("n2"),
        event("n4")
    );
    let input = read(&text);
    assert_eq!(input.records.len(), 3);
    let lines: Vec<usize> = input.records.iter().map(|r| r.at.line).collect();
    assert_eq!(lines, [1, 4, 6]);
    assert_eq!(input.records[2].at.column, 3);
    assert_eq!(summary(&input), ["3:11 json", "5:1 api_version_missing"]);
    assert!(
        input.problems[1].message.contains("resources[0]"),
        "{:?}",
        input.problems[1]
    );
    assert_eq!(input.records[0].line_json, first);
}

#[test]
fn a_pretty_array_reports_the_line_of_the_element() {
    let bad = pretty("n2").replace("\"Update\"", "\"Explode\"");
    let text = format!("[\n{},\n{bad}\n]\n", pretty("n1"));
    let first_lines = pretty("n1").lines().count();
    let input = read(&text);
    assert_eq!(input.records.len(), 1);
    assert_eq!(input.records[0].at.line, 2);
    assert_eq!(
        summary(&input),
        [format!("{}:1 event_shape", first_lines + 2)]
    );
    assert!(
        input.problems[0].message.contains("Explode"),
        "{:?}",
        input.problems[0]
    );
    // Minified onto one line, strings untouched.
    assert!(!input.records[0].line_json.contains('\n'));
    assert!(input.records[0].line_json.contains(r#""a b":"c \" d""#));
}

#[test]
fn a_syntax_error_points_at_its_line_and_column() {
    let text = pretty("n1");
    let broken = text.replacen("\"eventType\"", "\"eventType\" oops", 1);
    let line = broken.lines().position(|l| l.contains("oops")).unwrap() + 1;
    let input = read(&broken);
    assert!(input.records.is_empty());
    assert_eq!(input.problems.len(), 1);
    assert_eq!(input.problems[0].at.line, line);
    assert_eq!(input.problems[0].rule, "json");
    // Inside an array too.
    let input = read(&format!("[{},\n{broken}]", event("n0")));
    assert_eq!(input.records.len(), 1);
    assert_eq!(input.problems[0].at.line, line + 1);
}

#[test]
fn several_pretty_objects_and_edge_cases() {
    let input = read(&format!("{}\n{}\n", pretty("a"), pretty("b")));
    assert_eq!((input.records.len(), input.problems.len()), (2, 0));
    assert_eq!(input.records[1].at.line, pretty("a").lines().count() + 1);

    let input = read("  \n");
    assert_eq!((input.records.len(), input.problems.len()), (0, 0));
    let input = read("[]");
    assert_eq!((input.records.len(), input.problems.len()), (0, 0));
    assert_eq!(summary(&read("[] x")), ["1:4 json"]);
    assert_eq!(summary(&read("[1 2]")), ["1:2 event_shape", "1:4 json"]);
    // One event for both sides: its time (and so its length) differs per encoding.
    let a = event("a");
    assert_eq!(
        summary(&read(&format!("[{a}"))),
        [format!("1:{} json", a.len() + 2)]
    );
    assert_eq!(summary(&read("[1]")), ["1:2 event_shape"]);
}

#[test]
fn blob_events_and_wrong_envelopes_are_refused() {
    let blob = event("a").replace(
        r#","resourcesContainer":"inline""#,
        r#","resourcesBlobInfo":{"blobUri":"https://x/y?sig=s","blobSize":2},"resourcesContainer":"blob""#,
    );
    let blob = {
        let mut v: serde_json::Value = serde_json::from_str(&blob).unwrap();
        v["data"]["resources"] = serde_json::Value::Null;
        v.to_string()
    };
    assert_eq!(summary(&read(&blob)), ["1:1 blob_event"]);
    let wrong = event("a").replace(r#""dataVersion":"3.0""#, r#""dataVersion":"2.0""#);
    assert_eq!(summary(&read(&wrong)), ["1:1 envelope_invalid"]);
    let extra = event("a").replacen('{', r#"{"extra":1,"#, 1);
    let input = read(&extra);
    assert_eq!(summary(&input), ["1:8 event_shape"]);
    assert!(
        input.problems[0].message.contains("extra"),
        "{:?}",
        input.problems
    );
}

#[test]
fn unreadable_and_empty_files_are_not_invalid_notifications() {
    let dir = std::env::temp_dir().join(format!("arn-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.ndjson");
    std::fs::write(&empty, "\n# only a comment\n").unwrap();
    let input = read_files(&[Path::new("/nonexistent/arn.ndjson"), &empty]);
    assert!(input.problems.is_empty() && input.records.is_empty());
    assert_eq!(input.unreadable.len(), 1);
    assert_eq!(input.unreadable[0].0, "/nonexistent/arn.ndjson");
    assert_eq!(input.empty, [empty.display().to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_record_below_a_from_comment_keeps_its_origin() {
    let text = format!("# from in.ndjson:5:1\n{}\n{}\n", event("a"), event("b"));
    let input = read(&text);
    assert_eq!(summary(&input), Vec::<String>::new());
    assert_eq!(input.records[0].at.line, 2);
    assert_eq!(input.records[0].origin.as_deref(), Some("in.ndjson:5:1"));
    assert_eq!(input.records[1].origin, None);
}

#[test]
fn minify_leaves_strings_alone() {
    assert_eq!(
        minify("{ \"a b\" : [ 1 ,\n 2 ], \"c\":\"\\\" x\" }"),
        "{\"a b\":[1,2],\"c\":\"\\\" x\"}"
    );
}

/// The records and problems of `text` as `(line:column rule)` and line-json lists.
fn outcome(text: &str) -> (Vec<String>, Vec<String>) {
    let input = read(text);
    let records = input
        .records
        .iter()
        .map(|r| format!("{}:{} {}", r.at.line, r.at.column, r.line_json))
        .collect();
    (records, summary(&input))
}

#[test]
fn a_byte_order_mark_before_ndjson_is_skipped() {
    // Found by fuzzing: bytes EF BB BF 7B 7D 0A, whose one record was reported as
    // `json: expected value` instead of an event without the event's fields.
    let input = read(std::str::from_utf8(b"\xEF\xBB\xBF{}\n").unwrap());
    assert_eq!(summary(&input), summary(&read("{}\n")));
    assert_eq!(input.problems[0].rule, "event_shape");
}

#[test]
fn a_byte_order_mark_changes_nothing_in_any_layout() {
    let (a, b) = (event("n1"), event("n2"));
    let broken = event("n3").replace(r#","apiVersion":"2024-01-01""#, "");
    let layouts = [
        format!("{a}\n{broken}\n{b}\n"),
        format!("{a}\r\n{{\"topic\": oops}}\r\n{b}"),
        format!("[{a},\n {broken},\n {b}]\n"),
        format!("[\n{}\n]", pretty("n1")),
        a.clone(),
        format!("{}\n{}\n", pretty("n1"), pretty("n2")),
        format!("  \n{a}\n"),
        "[]".to_string(),
        String::new(),
    ];
    for text in layouts {
        let with_bom = format!("\u{feff}{text}");
        assert_eq!(outcome(&with_bom), outcome(&text), "{text}");
    }
    // Only a leading one: U+FEFF anywhere else is not whitespace in JSON.
    let later = read(&format!("{a}\n\u{feff}{b}\n"));
    assert_eq!(later.records.len(), 1);
    assert_eq!(summary(&later), ["2:1 json"]);
}

#[test]
fn an_error_at_the_start_of_a_line_points_at_column_1() {
    // Found by fuzzing: bytes 7B 22 22 0A 3A 22 22 7D. serde_json puts the unknown
    // field at line 2, column 0 (its "before the first character"), which was
    // reported as column 0.
    let input = read("{\"\"\n:\"\"}");
    assert_eq!(summary(&input), ["2:1 event_shape"]);
    // Inside a record that starts further in, and on the record's first line.
    let input = read("[ {\"\"\n:\"\"}, {\"\":1} ]");
    assert_eq!(summary(&input), ["2:1 event_shape", "2:9 event_shape"]);
}
