//! The resume file says where each notification first came from (`# from
//! FILE:LINE:COLUMN` above it), through a resume of a resume, and stays valid input.

mod common;

use common::{exits, ndjson, run, temp_dir, Receiver};

#[test]
fn a_resume_of_a_resume_names_the_original_file_and_line() {
    let dir = temp_dir("resume-origin");
    let receiver = Receiver::start(&[]);
    let input = ndjson(3);
    std::fs::write(dir.join("in.ndjson"), &input).unwrap();
    // A wrong token: every notification fails (401) and is left.
    let send = |file: &str, token: &str, unsent: &str, code| {
        exits(
            receiver
                .send(&dir, file)
                .args(["--unsent", unsent, "--workers", "1", "--in-flight", "1"])
                .env("ARN_TOKEN", token),
            code,
        )
    };
    send("in.ndjson", "wrong", "left1.ndjson", 1);
    let left1 = std::fs::read_to_string(dir.join("left1.ndjson")).unwrap();
    let want = |line: usize| {
        format!(
            "# from in.ndjson:{line}:1\n{}\n",
            input.lines().nth(line - 1).unwrap()
        )
    };
    assert_eq!(left1, (1..=3).map(want).collect::<String>());
    run(&dir, &["validate", "left1.ndjson"], 0);

    let (stdout, _) = send("left1.ndjson", "wrong", "left2.ndjson", 1);
    assert!(
        stdout.contains("FAILED  left1.ndjson:4:1 (from in.ndjson:2:1)  event "),
        "{stdout}"
    );
    let left2 = std::fs::read_to_string(dir.join("left2.ndjson")).unwrap();
    assert_eq!(left2, left1, "the original places, not left1.ndjson's");

    let token = receiver.token.clone();
    let (stdout, _) = send("left2.ndjson", &token, "left3.ndjson", 0);
    assert!(
        stdout.contains("sent    left2.ndjson:6:1 (from in.ndjson:3:1)  event "),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("left3.ndjson")).unwrap(),
        ""
    );
}
