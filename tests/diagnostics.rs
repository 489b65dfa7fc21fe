//! The "can never fire" diagnostic's wording, for one cell and for many.

use exactlif::{CellType, Network, Setup};

fn diagnostic(size: usize) -> String {
    let mut net = Network::new(Setup {
        timestep: 0.1,
        seed: 0,
        min_delay: None,
        seeding: Default::default(),
    });
    let p = net.create("cells", size, CellType::IfCurrExp).unwrap();
    net.set(&p, "i_offset", 0.1).unwrap(); // v_inf = -65 + 0.1 * 20 = -63 mV < -50 mV
    let sim = net.build().unwrap();
    let d = net.diagnostics(&sim);
    assert_eq!(d.len(), 1);
    d[0].to_string()
}

#[test]
fn the_never_fires_diagnostic_says_never_for_one_cell_and_none_for_many() {
    let one = diagnostic(1);
    assert!(one.contains("its cell can never fire:"), "{one}");
    assert!(
        one.contains("v_inf = v_rest + i_offset*tau_m/cm = -65 + 0.1*20/1 = -63 mV"),
        "{one}"
    );
    let many = diagnostic(5);
    assert!(
        many.contains("none of its 5 cells can ever fire:"),
        "{many}"
    );
}
