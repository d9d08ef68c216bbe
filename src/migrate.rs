//! `platform migrate [<name>]`: apply pending migrations, whatever `migrate_on_start` says.
use crate::cli::Loaded;
use crate::subgraphs;

/// Every subgraph, generated modules included (`subgraphs::all_names`), or the named one.
pub async fn run(loaded: &Loaded, name: Option<&str>) -> anyhow::Result<()> {
    let names: Vec<&str> = match name {
        Some(name) => {
            subgraphs::check_name(name)?;
            vec![name]
        }
        None => subgraphs::all_names(),
    };
    for name in names {
        let db = subgraphs::open_for_migration(loaded, name).await?;
        let applied = subgraphs::migrate_db(name, &db).await?;
        if applied.is_empty() {
            println!("{name}: up to date ({})", db.display_url());
        } else {
            println!(
                "{name}: applied {} ({})",
                applied.join(", "),
                db.display_url()
            );
        }
    }
    Ok(())
}
