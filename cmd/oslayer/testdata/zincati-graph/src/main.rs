//! Reads a Cincinnati graph on stdin into the types Zincati declares for
//! it (field names and types; serde's defaults: unknown fields ignored),
//! then checks what Zincati's Release::from_cincinnati needs of a node.
//! Prints one line per node and edge; exits 1 on anything Zincati would
//! reject.

use serde::Deserialize;
use std::collections::HashMap;
use std::io::Read;

#[derive(Deserialize)]
struct Node {
    version: String,
    payload: String,
    metadata: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<(u64, u64)>,
}

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("reading stdin");
    let graph: Graph = match serde_json::from_str(&input) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("failed to decode graph: {}", e);
            std::process::exit(1);
        }
    };
    for (i, node) in graph.nodes.iter().enumerate() {
        let scheme = node.metadata.get("org.fedoraproject.coreos.scheme");
        let age = node
            .metadata
            .get("org.fedoraproject.coreos.releases.age_index")
            .and_then(|v| v.parse::<u64>().ok());
        if node.version.is_empty() || node.payload.is_empty() || scheme.map(String::as_str) != Some("oci") || age.is_none() {
            eprintln!("node {}: not a release Zincati can parse", i);
            std::process::exit(1);
        }
        let deadend = node.metadata.get("org.fedoraproject.coreos.updates.deadend").map(String::as_str) == Some("true");
        println!("node {} {} age {} deadend {}", i, node.version, age.unwrap(), deadend);
    }
    for (from, to) in &graph.edges {
        if *from as usize >= graph.nodes.len() || *to as usize >= graph.nodes.len() {
            eprintln!("edge [{}, {}]: no such node", from, to);
            std::process::exit(1);
        }
        println!("edge {} {}", from, to);
    }
}
