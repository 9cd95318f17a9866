//! Go to definition and find references.
//!
//! A job's definition is its file; an event's definitions are the `emits`
//! that declare it (globs included). References of a job are the job
//! events that name it; references of an event are the conditions that
//! wait for it (for an `emits` glob: every event it matches).

use lsp_types::{Location, Position, Range};

use super::hover::{target, Target};
use super::tokens::Kind;
use super::uri;
use super::world::{glob, Place, World};

pub fn definition(world: &World<'_>, offset: usize) -> Vec<Location> {
    match target(world, offset) {
        Some(Target::Job { name, .. }) => job_file(world, &name).into_iter().collect(),
        Some(Target::Event {
            name,
            declared: false,
            ..
        }) => world
            .occurrences()
            .into_iter()
            .filter(|(_, o)| o.kind == Kind::Emits && glob(&o.name, &name))
            .filter_map(|(place, o)| world.location(place, o.span))
            .collect(),
        _ => Vec::new(),
    }
}

/// The start of a job's `.conf` file.
fn job_file(world: &World<'_>, name: &str) -> Option<Location> {
    let (job, place) = world.job(name)?;
    let uri = match place {
        Place::Here => world.uri.clone(),
        Place::There(_) => uri::from_path(world.snapshot?.path(job.file))?,
    };
    Some(Location::new(
        uri,
        Range::new(Position::new(0, 0), Position::new(0, 0)),
    ))
}

pub fn references(world: &World<'_>, offset: usize, declaration: bool) -> Vec<Location> {
    let mut out = Vec::new();
    match target(world, offset) {
        Some(Target::Job { name, .. }) => {
            if declaration {
                out.extend(job_file(world, &name));
            }
            for (place, o) in world.occurrences() {
                if matches!(o.kind, Kind::JobRef(_)) && o.name == name {
                    out.extend(world.location(place, o.span));
                }
            }
        }
        Some(Target::Event { name, declared, .. }) => {
            for (place, o) in world.occurrences() {
                let hit = match o.kind {
                    Kind::Use(_) if declared => glob(&name, &o.name),
                    Kind::Use(_) => o.name == name,
                    Kind::Emits if declaration => {
                        if declared {
                            o.name == name
                        } else {
                            glob(&o.name, &name)
                        }
                    }
                    _ => false,
                };
                if hit {
                    out.extend(world.location(place, o.span));
                }
            }
        }
        Some(Target::Stanza { .. }) | None => {}
    }
    out
}
