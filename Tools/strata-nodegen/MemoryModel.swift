/// `node_memory_*_bytes`, kept in 4096-byte pages. Anonymous memory, page cache, slab and the
/// small kernel pools random-walk (anonymous memory towards a level set by the activity), with
/// occasional jumps as processes start and exit; the page cache grows with disk reads and is
/// reclaimed when free memory runs low. Free, available, active/inactive and the totals follow
/// from the parts as in /proc/meminfo.
struct MemoryModel {
    private let slots: [Int]  // parallel to Hardware.memoryFields
    private let totalPages: Int64
    private let swapTotalPages: Int64
    private var anon: Int64
    private var cache: Int64
    private var buffers: Int64
    private var shmem: Int64
    private var slabReclaimable: Int64
    private var slabUnreclaimable: Int64
    private var kernelStack: Int64
    private var pageTables: Int64
    private var mapped: Int64
    private var dirty: Int64 = 0
    private var swapUsed: Int64
    private var committedExtra: Int64
    private var activeFilePermille: Int64
    private var activeAnonPermille: Int64
    private let anonShare: Double

    init(catalog: Catalog, rng: inout Xoshiro256, values: UnsafeMutablePointer<Int64>) {
        slots = Hardware.memoryFields.map { catalog.slot("node_memory_\($0)_bytes") }
        let gibibytes = Int64([64, 128, 128, 256, 384][rng.int(in: 0...4)])
        totalPages = gibibytes * 262_144 - Int64(rng.int(in: 150_000...400_000))
        swapTotalPages = rng.chance(0.5) ? Int64([2, 4, 8][rng.int(in: 0...2)]) * 262_144 : 0
        anonShare = rng.uniform(0.15, 0.55)
        anon = Int64(Double(totalPages) * anonShare)
        cache = Int64(Double(totalPages) * rng.uniform(0.1, 0.3))
        buffers = Int64(rng.int(in: 20_000...200_000))
        shmem = Int64(rng.int(in: 5_000...60_000))
        slabReclaimable = Int64(rng.int(in: 100_000...600_000))
        slabUnreclaimable = Int64(rng.int(in: 50_000...200_000))
        kernelStack = Int64(rng.int(in: 4_000...12_000))
        pageTables = Int64(rng.int(in: 10_000...60_000))
        mapped = Int64(rng.int(in: 50_000...300_000))
        swapUsed = swapTotalPages > 0 ? Int64(rng.int(in: 0...50_000)) : 0
        committedExtra = Int64(rng.int(in: 500_000...3_000_000))
        activeFilePermille = Int64(rng.int(in: 350...650))
        activeAnonPermille = Int64(rng.int(in: 850...980))
    }

    /// Returns whether free memory ran low (the kernel reclaimed cache) during this step.
    mutating func step(
        readBytes: Int64, utilisation: Double, rng: inout Xoshiro256, values: UnsafeMutablePointer<Int64>
    ) -> Bool {
        let total = Double(totalPages)
        // Anonymous memory: mean-reverting walk towards the activity's level, plus process churn.
        let target = total * anonShare * (0.75 + 0.6 * utilisation)
        anon += Int64((0.01 * (target - Double(anon)) + 300 * rng.normal()).rounded())
        if rng.chance(0.004) { anon += Int64((total * rng.uniform(-0.03, 0.04)).rounded()) }
        anon = min(Int64(total * 0.85), max(Int64(total * 0.05), anon))

        cache += readBytes / 4096 / 2 + Int64((40 * rng.normal()).rounded())
        if rng.chance(0.002) { cache -= Int64(Double(cache) * rng.uniform(0.05, 0.3)) }  // drop / file deletes
        buffers = max(1000, buffers + Int64((15 * rng.normal()).rounded()))
        shmem = max(1000, shmem + (rng.chance(0.05) ? Int64(rng.int(in: -200...200)) : 0))
        slabReclaimable = max(10_000, slabReclaimable + Int64((60 * rng.normal()).rounded()))
        slabUnreclaimable = max(10_000, slabUnreclaimable + Int64((8 * rng.normal()).rounded()))
        kernelStack = max(1000, kernelStack + (rng.chance(0.2) ? Int64(rng.int(in: -8...8)) : 0))
        pageTables = max(1000, pageTables + Int64((0.002 * Double(anon - pageTables * 200)).rounded()))
        mapped = max(1000, mapped + Int64((25 * rng.normal()).rounded()))
        dirty = max(0, dirty / 2 + (rng.chance(0.7) ? Int64(rng.int(in: 0...3000)) : 0))
        if swapTotalPages > 0, rng.chance(0.001) {
            swapUsed = min(swapTotalPages, max(0, swapUsed + Int64(rng.int(in: -2000...4000))))
        }
        committedExtra += rng.chance(0.01) ? Int64(rng.int(in: -20_000...20_000)) : 0
        activeFilePermille = min(800, max(200, activeFilePermille + Int64(rng.int(in: -2...2))))
        activeAnonPermille = min(995, max(700, activeAnonPermille + (rng.chance(0.1) ? Int64(rng.int(in: -1...1)) : 0)))

        let slab = slabReclaimable + slabUnreclaimable
        let usedWithoutCache = anon + buffers + slab + kernelStack + pageTables
        let lowWatermark = totalPages / 200
        var pressured = false
        if totalPages - usedWithoutCache - cache < totalPages / 25 {
            cache = totalPages - totalPages / 20 - usedWithoutCache
            pressured = true
        }
        cache = max(10_000, cache)
        let free = max(lowWatermark, totalPages - usedWithoutCache - cache)
        let file = cache + buffers
        let available =
            free - lowWatermark + file - min(file / 2, lowWatermark) + slabReclaimable
            - min(slabReclaimable / 2, lowWatermark)
        let activeFile = file * activeFilePermille / 1000
        let activeAnon = (anon + shmem) * activeAnonPermille / 1000

        // In Hardware.memoryFields order.
        let pages: [Int64] = [
            activeAnon + activeFile, activeAnon, activeFile, anon, buffers, cache, anon + shmem + committedExtra,
            dirty, anon + shmem - activeAnon + file - activeFile, anon + shmem - activeAnon, file - activeFile,
            kernelStack, min(mapped, cache), max(0, available), free, totalPages, pageTables, slabReclaimable,
            slabUnreclaimable, shmem, slab, swapTotalPages - swapUsed, swapTotalPages,
        ]
        for (i, count) in pages.enumerated() { values[slots[i]] = count * 4096 }
        return pressured
    }
}
