//! `platform config`: the effective configuration, as the services would see it.
use crate::cli::Loaded;

pub fn print(loaded: &Loaded) -> anyhow::Result<()> {
    // GATEWAY: print `gateway` typed with its defaults, through
    // `kit::config::effective_yaml_with(.., [("gateway", serde_json::to_value(GatewayConfig))])`
    // once the CLI depends on `router`.
    let yaml = kit::config::effective_yaml(&loaded.config, &loaded.figment)?;
    print!("{yaml}");
    Ok(())
}
