//! A log-linear latency histogram (the HdrHistogram layout, without the
//! dependency).
//!
//! Values are nanoseconds. Each power-of-two range `[2^k, 2^(k+1))` is split
//! into `SUB_BUCKETS` equal sub-buckets, so every recorded value lands in a
//! bucket no wider than `1 / SUB_BUCKETS` of its magnitude (under 1.6 % with
//! 64 sub-buckets), whatever the scale: 3 µs and 3 ms are resolved equally
//! well. Values below `SUB_BUCKETS` get one bucket each. Recording is an index
//! computation and an increment, cheap enough for the load generator's loop.

/// log2 of the number of sub-buckets per power of two.
const SUB_BITS: u32 = 6;
const SUB_BUCKETS: u64 = 1 << SUB_BITS;
/// Buckets needed to cover every `u64`: the linear range plus one group of
/// `SUB_BUCKETS` per remaining power of two.
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB_BUCKETS as usize;

/// Counts of recorded values per log-linear bucket.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }

    /// Records one value (nanoseconds).
    #[inline]
    pub fn record(&mut self, value: u64) {
        self.counts[index_of(value)] += 1;
        self.total += 1;
    }

    /// Forgets every recorded value (used when the warm-up ends).
    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.total = 0;
    }

    /// The value at quantile `q` (0.0..=1.0): the midpoint of the bucket
    /// holding the `ceil(q * len)`-th smallest value; 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, high) = bounds_of(index);
                return low + (high - low) / 2;
            }
        }
        unreachable!(
            "rank {rank} is at most the total {} of the counts",
            self.total
        )
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("len", &self.total)
            .field("p50", &self.quantile(0.5))
            .field("p99", &self.quantile(0.99))
            .finish()
    }
}

/// The bucket holding `value`.
#[inline]
fn index_of(value: u64) -> usize {
    if value < SUB_BUCKETS {
        return value as usize;
    }
    // `value` is in [2^exp, 2^(exp+1)) with exp >= SUB_BITS; keep its top
    // SUB_BITS + 1 bits, of which the leading one selects the group.
    let exp = 63 - value.leading_zeros();
    let shift = exp - SUB_BITS;
    let group = u64::from(shift) + 1;
    let sub = (value >> shift) - SUB_BUCKETS;
    (group * SUB_BUCKETS + sub) as usize
}

/// The smallest value in bucket `index` and the smallest value above it.
fn bounds_of(index: usize) -> (u64, u64) {
    let index = index as u64;
    if index < SUB_BUCKETS {
        return (index, index + 1);
    }
    let shift = index / SUB_BUCKETS - 1;
    let sub = index % SUB_BUCKETS;
    let low = (SUB_BUCKETS + sub) << shift;
    (low, low.saturating_add(1 << shift))
}

/// Checks the index/bounds arithmetic on a spread of values; run by the smoke
/// mode so a broken histogram fails CI instead of skewing percentiles.
pub fn self_check() -> Result<(), String> {
    let mut value = 1u64;
    while value < u64::MAX / 8 {
        for v in [value, value + 1, value * 3 / 2] {
            let (low, high) = bounds_of(index_of(v));
            if !(low <= v && v < high) {
                return Err(format!("value {v} outside its bucket [{low}, {high})"));
            }
            if (high - low) * SUB_BUCKETS > v.max(SUB_BUCKETS) {
                return Err(format!("bucket [{low}, {high}) too wide for {v}"));
            }
        }
        value = value * 7 / 3 + 1;
    }
    let mut h = Histogram::new();
    for v in 1..=1000 {
        h.record(v * 1000);
    }
    let p50 = h.quantile(0.5) as f64;
    if (p50 - 500_000.0).abs() > 500_000.0 / SUB_BUCKETS as f64 {
        return Err(format!("p50 of 1..=1000 µs is {p50} ns"));
    }
    Ok(())
}
