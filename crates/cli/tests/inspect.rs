//! `validate`, `analyze` and `convert` on the in-repo fixtures and the shared benchmark data.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn bin() -> Command {
    Command::cargo_bin("crystal-diffusion").unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn json_of(args: &[&str], paths: &[PathBuf]) -> (serde_json::Value, i32) {
    let out = bin()
        .args(args)
        .args(paths)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

fn by_name<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["structures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn analyze_a_folder_of_mixed_formats_with_one_bad_record() {
    let (v, code) = json_of(&["analyze"], &[fixtures()]);
    // The dataset's third row is broken: reported, the rest analysed, exit 1.
    assert_eq!(code, 1);
    assert_eq!(v["summary"]["failed_to_parse"], 1);
    assert_eq!(v["summary"]["structures"], 5);
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("mini_dataset.csv"));
    let nacl = by_name(&v, "NaCl");
    assert_eq!(nacl["n_atoms"], 8);
    assert_eq!(nacl["space_group"], 225);
    assert!((nacl["min_distance"].as_f64().unwrap() - 2.82).abs() < 1e-9);
    assert_eq!(by_name(&v, "TiO2 rutile")["space_group"], 136);
    assert_eq!(by_name(&v, "ZnO_wurtzite")["space_group"], 186);
    assert_eq!(by_name(&v, "CsCl")["space_group"], 221);
    let sto = by_name(&v, "SrTiO3-cubic");
    assert_eq!(sto["space_group"], 221);
    assert_eq!(sto["formula"], "SrTiO3");
    assert!((sto["density"].as_f64().unwrap() - 5.12).abs() < 0.01);
    for s in v["structures"].as_array().unwrap() {
        for key in [
            "name",
            "formula",
            "n_atoms",
            "volume",
            "density",
            "min_distance",
            "space_group",
            "coordination_mean",
            "valid_structure",
            "valid_composition",
        ] {
            assert!(!s[key].is_null(), "{key} missing in {s}");
        }
        assert_eq!(s["valid_structure"], true);
        assert_eq!(s["valid_composition"], true);
    }
}

#[test]
fn table_csv_and_exit_codes() {
    let ok = [
        fixtures().join("rutile.vasp"),
        fixtures().join("NaCl_symmetry.cif"),
    ];
    let out = bin().arg("analyze").args(&ok).assert().code(0);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("P4_2/mnm (136)") && text.contains("Fm-3m (225)"),
        "{text}"
    );
    let out = bin()
        .arg("validate")
        .args(&ok)
        .args(["--format", "csv"])
        .assert()
        .code(0);
    let csv = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.starts_with("name,formula,n_atoms,volume,density,min_distance,space_group"));
    // RDF on request: rutile's Ti–O bonds (1.95 Å) fill bin 19: 2 Ti × 6 O + 4 O × 3 Ti.
    let (v, _) = json_of(&["analyze", "--rdf-max", "3"], &ok[..1]);
    assert_eq!(v["structures"][0]["rdf"]["counts"][19], 24);
    // --strict: rutile fails a 2 Å threshold (Ti–O 1.95 Å).
    bin()
        .arg("validate")
        .args(&ok)
        .args(["--min-distance", "2.0"])
        .assert()
        .code(0);
    bin()
        .arg("validate")
        .args(&ok)
        .args(["--min-distance", "2.0", "--strict"])
        .assert()
        .code(1);
    // Usage errors.
    bin()
        .args(["validate", "/no/such/file.cif"])
        .assert()
        .code(2);
    bin()
        .arg("validate")
        .args(&ok)
        .args(["--min-distance", "-1"])
        .assert()
        .code(2);
    bin().arg("analyze").assert().code(2);
}

#[test]
fn convert_round_trips_through_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let cif = fixtures().join("NaCl_symmetry.cif");
    let vasp = tmp.path().join("POSCAR");
    let xyz = tmp.path().join("nacl.xyz");
    let back = tmp.path().join("back.cif");
    bin().arg("convert").arg(&cif).arg(&vasp).assert().success();
    bin().arg("convert").arg(&vasp).arg(&xyz).assert().success();
    bin().arg("convert").arg(&xyz).arg(&back).assert().success();
    let (a, _) = json_of(&["analyze"], std::slice::from_ref(&cif));
    let (b, _) = json_of(&["analyze"], std::slice::from_ref(&back));
    for key in ["formula", "n_atoms", "space_group"] {
        assert_eq!(a["structures"][0][key], b["structures"][0][key], "{key}");
    }
    for key in ["volume", "density", "min_distance"] {
        let (x, y) = (
            a["structures"][0][key].as_f64().unwrap(),
            b["structures"][0][key].as_f64().unwrap(),
        );
        assert!((x - y).abs() < 1e-6, "{key}: {x} vs {y}");
    }
    // A dataset into a folder: one file per good row, exit 1 for the broken row.
    let folder = tmp.path().join("poscars");
    bin()
        .arg("convert")
        .arg(fixtures().join("mini_dataset.csv"))
        .arg(&folder)
        .args(["--to", "vasp"])
        .assert()
        .code(1);
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["CsCl.vasp", "SrTiO3-cubic.vasp"]);
    // Files in a folder are named after their input files (with the block when a file has
    // several), however their blocks are named.
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    let block = |name: &str, a: f64| {
        format!("data_{name}\n_cell_length_a {a}\n_cell_length_b {a}\n_cell_length_c {a}\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nCu1 0 0 0\n")
    };
    std::fs::write(src.join("copper.cif"), block("global", 2.5)).unwrap();
    std::fs::write(
        src.join("sub/more.cif"),
        block("global", 2.6) + &block("hot", 2.7),
    )
    .unwrap();
    let named = tmp.path().join("named");
    bin()
        .arg("convert")
        .arg(&src)
        .arg(&named)
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(&named)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["copper.cif", "more_global.cif", "more_hot.cif"]);
    // Several structures cannot go into one POSCAR.
    bin()
        .arg("convert")
        .arg(&folder)
        .arg(tmp.path().join("POSCAR_all"))
        .assert()
        .code(2);
}

/// Every row of both shared test sets parses and analyses (skipped without ../shared).
#[test]
fn shared_test_sets_parse_completely() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let files = [
        data.join("perov_5/test.csv.gz"),
        data.join("carbon_24/test.csv.gz"),
    ];
    if !files.iter().all(|f| f.exists()) {
        eprintln!("skipped: {} not found", data.display());
        return;
    }
    let (v, code) = json_of(&["analyze"], &files);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["structures"], 5815);
    assert_eq!(v["summary"]["failed_to_parse"], 0);
    assert!(v["structures"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["space_group"].is_u64()));
}

/// No command: the whole help (not squeezed onto one line) and the usage exit code; a bad
/// value: one line naming the flag and the choices.
#[test]
fn no_command_prints_the_help_and_a_bad_choice_one_line() {
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.lines().count() > 5 && err.contains("Usage"), "{err}");
    let out = bin()
        .args(["train", "--data", "x.cif", "--out", "o", "--task", "gan"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--task") && err.contains("csp, dng"), "{err}");
}

/// Every record names its file: `source` in JSON and CSV; in the table, `file:block` when
/// block names repeat, long names and formulas cut with an ellipsis.
#[test]
fn every_record_is_traced_to_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let block = |name: &str, a: f64, atoms: &str| {
        format!("data_{name}\n_cell_length_a {a}\n_cell_length_b {a}\n_cell_length_c {a}\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\nloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n{atoms}")
    };
    let cu = "Cu1 0 0 0\n";
    // 13 elements: the reduced formula is longer than the table's 12 columns.
    let many: String = [
        "Li", "Be", "Na", "Mg", "Al", "Si", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn",
    ]
    .iter()
    .enumerate()
    .map(|(i, e)| format!("{e}{i} {} 0 0\n", i as f64 / 13.0))
    .collect();
    std::fs::write(tmp.path().join("a.cif"), block("global", 2.5, cu)).unwrap();
    std::fs::write(tmp.path().join("b.cif"), block("global", 2.6, cu)).unwrap();
    std::fs::write(
        tmp.path().join("c.cif"),
        block("a_rather_long_block_name_of_forty_chars", 30.0, &many),
    )
    .unwrap();
    let (v, code) = json_of(&["analyze"], &[tmp.path().to_path_buf()]);
    assert_eq!(code, 0);
    let sources: Vec<&str> = v["structures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources.len(), 3);
    for (s, f) in sources.iter().zip(["a.cif", "b.cif", "c.cif"]) {
        assert!(s.ends_with(f), "{s}");
    }
    let csv = bin()
        .arg("analyze")
        .arg(tmp.path())
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",source"));
    assert!(csv.lines().nth(1).unwrap().ends_with("a.cif"), "{csv}");
    let table = bin()
        .arg("analyze")
        .arg(tmp.path())
        .arg("-q")
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].contains("n≤3.2Å") && lines[0].contains("bonds"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("a.cif:global "), "{}", lines[1]);
    assert!(lines[2].starts_with("b.cif:global "), "{}", lines[2]);
    // 39 characters in 28: the last 27 kept after an ellipsis; the formula cut likewise.
    assert!(
        lines[3].starts_with("…g_block_name_of_forty_chars "),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains("KNaLiCaMgSc… "), "{}", lines[3]);
}

/// Exit code, stdout and stderr of a command.
fn run_cmd(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn convert_symmetrize_writes_the_asymmetric_unit_beside_the_p1_file() {
    let dir = tempfile::tempdir().unwrap();
    let wild = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crystal/tests/data/wild");
    // KMnF3 (Pm-3m): three sites, multiplicities 3, 1, 1.
    let out = dir.path().join("kmnf3.cif");
    let (code, stdout, _) = run_cmd(
        bin()
            .arg("convert")
            .arg(wild.join("icsd_dot_coordinates.cif"))
            .arg(&out)
            .arg("--symmetrize"),
    );
    assert_eq!(code, 0);
    assert!(
        stdout.contains("wrote 1 symmetrized structure(s) to"),
        "{stdout}"
    );
    let sym = std::fs::read_to_string(dir.path().join("kmnf3.symmetrized.cif")).unwrap();
    assert!(
        sym.contains("_symmetry_space_group_name_H-M   'P m -3 m'"),
        "{sym}"
    );
    assert!(sym.contains("  48  '"), "{sym}");
    let sites: Vec<&str> = sym
        .split("_atom_site_occupancy\n")
        .nth(1)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(sites.len(), 3, "{sym}");
    // Read back by our reader: the 5-atom cell.
    let (v, code) = json_of(&["analyze"], &[dir.path().join("kmnf3.symmetrized.cif")]);
    assert_eq!(code, 0);
    assert_eq!(v["structures"][0]["n_atoms"], 5);
    assert_eq!(v["structures"][0]["formula"], "KMnF3");

    // A folder: one NAME.symmetrized.cif beside each NAME.vasp; a structure moyo cannot
    // symmetrize (Fe and Co on one point) is reported by name and the rest go on (exit 1).
    let folder = dir.path().join("out");
    let (code, _, stderr) = run_cmd(bin().arg("convert").arg(&wild).arg(&folder).args([
        "--to",
        "vasp",
        "--symmetrize",
    ]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "error: coincident_sites: not symmetrized: symmetry: no space group found within 0.1 Å"
        ),
        "{stderr}"
    );
    assert!(folder.join("split_hydrogen_mirror.vasp").is_file());
    assert!(folder
        .join("split_hydrogen_mirror.symmetrized.cif")
        .is_file());
    assert!(folder.join("coincident_sites.vasp").is_file());
    assert!(!folder.join("coincident_sites.symmetrized.cif").exists());
    // --symprec needs --symmetrize.
    let (code, _, _) = run_cmd(
        bin()
            .arg("convert")
            .arg(wild.join("icsd_dot_coordinates.cif"))
            .arg(dir.path().join("x.cif"))
            .args(["--symprec", "0.01"]),
    );
    assert_eq!(code, 2);
}

#[test]
fn disorder_majority_reads_the_majority_species_and_says_so() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crystal/tests/data/wild/fe_co_al_disordered.cif");
    let (code, _, stderr) = run_cmd(bin().arg("analyze").arg(&f));
    assert_eq!(code, 1);
    assert!(stderr.contains("--disorder majority keeps Fe"), "{stderr}");
    let (v, code) = json_of(
        &["analyze", "--disorder", "majority"],
        std::slice::from_ref(&f),
    );
    assert_eq!(code, 0);
    assert_eq!(v["structures"][0]["formula"], "AlFe");
    assert_eq!(v["structures"][0]["n_atoms"], 2);
    let (_, _, stderr) = run_cmd(bin().args(["analyze", "--disorder", "majority"]).arg(&f));
    assert!(
        stderr.contains("note: ",)
            && stderr.contains(
                "--disorder majority: site \"Fe1\" (Fe 0.6) + \"Co1\" (Co 0.4) read as Fe (1 atom)"
            ),
        "{stderr}"
    );
}
