//! Hostile and unlucky inputs from the robustness issue: odd cells, bogus symmetry, link
//! loops, FIFOs, devices and non-run folders. Each reproducer once hung, filled memory or
//! destroyed a user's file; each must now end at once with a message naming the file and
//! the value, while the good inputs beside it are still read.

use assert_cmd::Command;
use std::path::Path;
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

/// A CIF of one block `name` with the given cell and a rock-salt pair of atoms.
fn cif(name: &str, cell: [&str; 6]) -> String {
    let tags = [
        "length_a",
        "length_b",
        "length_c",
        "angle_alpha",
        "angle_beta",
        "angle_gamma",
    ];
    let mut s = format!("data_{name}\n");
    for (t, v) in tags.iter().zip(cell) {
        s.push_str(&format!("_cell_{t} {v}\n"));
    }
    s.push_str(
        "loop_\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n\
         _atom_site_fract_z\nNa 0 0 0\nCl 0.5 0.5 0.5\n",
    );
    s
}

/// `analyze` of each odd cell ends within seconds: refused at the reader with file, block
/// and value, or (the nearly flat rhombohedral cell, inside the limits) analysed with its
/// space group "not determined" and the reason. A good file in the same batch is read.
#[test]
fn odd_cells_are_refused_or_not_determined_never_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let cases: [(&str, [&str; 6], &str); 7] = [
        ("a1e3", ["1000", "4", "4", "90", "90", "90"], ""),
        (
            "a1e-4",
            ["1e-4", "4", "4", "90", "90", "90"],
            "cell length a = 1e-4 Å is under 0.1 Å (--min-length)",
        ),
        (
            "a2e32",
            ["4294967296", "4", "4", "90", "90", "90"],
            "cell length a = 4294967296 Å is over 10000 Å (--max-length)",
        ),
        (
            "a1e12",
            ["1e12", "4", "4", "90", "90", "90"],
            "is over 10000 Å (--max-length)",
        ),
        (
            "c001",
            ["0.01", "0.01", "0.01", "90", "90", "90"],
            "cell length a = 0.01 Å is under 0.1 Å",
        ),
        (
            "flat",
            ["4", "4", "4", "1", "90", "90"],
            "cell angle alpha = 1 ° is under 2 ° (--min-angle)",
        ),
        ("rh1199", ["4", "4", "4", "119.9", "119.9", "119.9"], ""),
    ];
    for (name, cell, _) in &cases {
        std::fs::write(d.join(format!("{name}.cif")), cif(name, *cell)).unwrap();
    }
    // The POSCAR of the issue: scale -1e-30 (a volume of 1e-90 Å³).
    std::fs::write(
        d.join("POSCAR_tiny"),
        "tiny\n-1e-30\n4 0 0\n0 4 0\n0 0 4\nNa\n1\nDirect\n0 0 0\n",
    )
    .unwrap();
    let t = Instant::now();
    let o = bin().arg("analyze").arg(d).output().unwrap();
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(1), "{err}");
    for (name, _, needle) in &cases {
        if needle.is_empty() {
            assert!(out.contains(name), "{name} not analysed: {out}");
        } else {
            let line = err.lines().find(|l| l.contains(&format!("{name}.cif")));
            let line = line.unwrap_or_else(|| panic!("{name} not reported: {err}"));
            assert!(line.contains(needle), "{line}");
            assert!(line.contains(&format!("data block \"{name}\"")), "{line}");
        }
    }
    assert!(
        err.contains("POSCAR_tiny: structure \"tiny\": cell length a = "),
        "{err}"
    );
    assert!(
        err.contains(
            "note: rh1199: not determined: space group: symmetry: tolerance 0.1 Å is too coarse"
        ),
        "{err}"
    );
    assert!(
        out.contains("2 structures from 8 files (6 failed to parse)"),
        "{out}"
    );
    // The limits move with their flags: the 0.01 Å cell is read when allowed.
    let o = bin()
        .args([
            "analyze",
            "--min-length",
            "0.001",
            "--min-volume-per-atom",
            "1e-9",
        ])
        .arg(d.join("c001.cif"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A bad bound is one line and exit 2.
    for (flag, value) in [
        ("--min-length", "-1"),
        ("--max-atoms", "0"),
        ("--min-angle", "90"),
        ("--max-length", "nan"),
    ] {
        let o = bin()
            .args(["analyze", flag, value])
            .arg(d)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            (o.status.code(), err.trim().lines().count()),
            (Some(2), 1),
            "{flag} {value}: {err}"
        );
        assert!(err.contains(flag), "{err}");
    }
}

/// 200 listed operations, and two that generate without end (a shear), are refused
/// before any atom is built; `--max-atoms` bounds the expanded cell.
#[test]
fn bogus_symmetry_operations_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let head = cif("x", ["4", "4", "4", "90", "90", "90"]);
    let (cell, atoms) = head.split_at(head.find("loop_").unwrap());
    let many: String = (0..200).map(|k| format!("'x, y, z+{k}/200'\n")).collect();
    let with_ops = |ops: &str| format!("{cell}loop_\n_symmetry_equiv_pos_as_xyz\n{ops}{atoms}");
    std::fs::write(tmp.path().join("many.cif"), with_ops(&many)).unwrap();
    std::fs::write(
        tmp.path().join("shear.cif"),
        with_ops("'x, y, z'\n'x+y, y, z'\n"),
    )
    .unwrap();
    std::fs::write(tmp.path().join("fm3m.cif"), {
        let mut c = cif("fm3m", ["5.64", "5.64", "5.64", "90", "90", "90"]);
        c = c.replace(
            "data_fm3m\n",
            "data_fm3m\n_symmetry_Int_Tables_number 225\n",
        );
        c
    })
    .unwrap();
    let o = bin().arg("validate").arg(tmp.path()).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("200 symmetry operations, more than any space group has (192)"),
        "{err}"
    );
    assert!(
        err.contains("the 2 symmetry operations generate more than 192"),
        "{err}"
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("1 structures from 3 files (2 failed to parse)"),
        "{out}"
    );
    let o = bin()
        .args(["validate", "--max-atoms", "7"])
        .arg(tmp.path().join("fm3m.cif"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("2 sites under 192 symmetry operations give more than 7 atoms (--max-atoms)"),
        "{err}"
    );
}

/// A link loop in an input folder, a FIFO and a link to /dev/zero with structure names:
/// the walk ends, the FIFO and the device are refused without being opened, and the
/// good file is read.
#[cfg(unix)]
#[test]
fn link_loops_fifos_and_devices_in_input_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::copy(
        here.join("tests/fixtures/rutile.vasp"),
        d.join("sub/rutile.vasp"),
    )
    .unwrap();
    std::os::unix::fs::symlink("..", d.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.cif")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(d.join("pipe.cif"))
        .status();
    let t = Instant::now();
    let o = bin()
        .arg("validate")
        .arg(d)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(20));
    let err = String::from_utf8_lossy(&o.stderr);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(err.contains("zero.cif: not a regular file"), "{err}");
    if fifo.is_ok_and(|s| s.success()) {
        assert!(err.contains("pipe.cif: not a regular file"), "{err}");
    }
    assert!(out.contains("rutile"), "{out}");
    assert_eq!(
        out.matches("rutile").count(),
        1,
        "read twice through the loop: {out}"
    );
}

/// `report` on a folder this tool did not write: refused, and its files untouched.
#[test]
fn report_refuses_a_folder_it_did_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("thesis");
    std::fs::create_dir_all(d.join("plots")).unwrap();
    std::fs::write(d.join("report.html"), "mine").unwrap();
    std::fs::write(d.join("plots/fig.svg"), "mine").unwrap();
    std::fs::write(d.join("summary.json"), "{}").unwrap();
    let o = bin().arg("report").arg(&d).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a run folder"), "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("report.html")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("plots/fig.svg")).unwrap(),
        "mine"
    );
}

/// A 274-character structure name once made `convert` to a folder fail for every
/// structure ("File name too long"): the file name (input stem and block, the block named
/// because the file holds two) is cut to 200 bytes, the name kept inside the file.
#[test]
fn a_very_long_name_still_converts() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "x".repeat(274);
    let input = tmp.path().join("long.cif");
    let sides = ["5.64", "5.64", "5.64", "90", "90", "90"];
    std::fs::write(&input, cif(&name, sides) + &cif("b", sides)).unwrap();
    let out = tmp.path().join("out");
    bin()
        .arg("convert")
        .arg(&input)
        .arg(&out)
        .assert()
        .success();
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "long_b.cif".to_string(),
            format!("long_{}.cif", "x".repeat(195))
        ]
    );
    let text = std::fs::read_to_string(out.join(&files[1])).unwrap();
    assert!(text.contains(&format!("data_{name}")));
}

/// `report` waits for no one: while another live process holds the run folder's lock it
/// is refused with one line naming that process.
#[test]
fn report_refuses_a_folder_another_run_is_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("run");
    std::fs::create_dir(&d).unwrap();
    run::mark(&d).unwrap();
    let mut holder = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    std::fs::write(tmp.path().join(".run.lock"), format!("{}\n", holder.id())).unwrap();
    let o = bin().arg("report").arg(&d).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("is busy: another run (process {})", holder.id())),
        "{err}"
    );
    assert!(!d.join("report.html").exists());
    // Its process gone, the report is written.
    bin().arg("report").arg(&d).assert().success();
    assert!(d.join("report.html").is_file());
}
