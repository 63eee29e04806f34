//! Rasterises every snapshot under `tests/snapshots/` to PNG, to look at what the snapshot
//! tests pin down: `cargo run -p charts --example rasterise -- /tmp/charts`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "charts-png".to_owned());
    std::fs::create_dir_all(&out)?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "svg") {
            let png = charts::png(&std::fs::read_to_string(&path)?, 2.0)?;
            let name = path.with_extension("png");
            let target = std::path::Path::new(&out).join(name.file_name().unwrap_or_default());
            std::fs::write(&target, png)?;
            println!("{}", target.display());
        }
    }
    Ok(())
}
