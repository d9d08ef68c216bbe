//! `platform config`: the effective configuration, as the services would see it.
use crate::cli::Loaded;

pub fn print(loaded: &Loaded) -> anyhow::Result<()> {
    // `gateway` typed by the router, so every default it will use is shown.
    let gateway = serde_json::to_value(crate::gateway_cmd::config(loaded)?)?;
    let yaml = kit::config::effective_yaml_with(
        &loaded.config,
        &loaded.figment,
        [("gateway".to_owned(), gateway)],
    )?;
    print!("{yaml}");
    Ok(())
}
