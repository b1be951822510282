use kqlog::ingest::few_values::FewValues;
fn main() {
    let id = String::new();
    let lines: Vec<String> = (0..1_000_000).map(|i| format!("GET /api/v1/orders/{i} 200 {}ms", i % 1000)).collect();
    let t = std::time::Instant::now();
    let mut cols: Vec<FewValues<i32>> = (0..10).map(|_| FewValues::default()).collect();
    let mut text = FewValues::<i32>::default();
    for (n, l) in lines.iter().enumerate() {
        for c in cols.iter_mut() {
            c.push(Some(&id));
        }
        text.push(Some(l));
        if n % 32768 == 32767 {
            for c in cols.iter_mut() {
                c.finish();
            }
            text.finish();
        }
    }
    println!("{:?}", t.elapsed());
}
#[allow(dead_code)]
fn unused() {}
