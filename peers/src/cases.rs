//! The shared case records: complete `dm_verification` cases (every fact
//! given), made from a fixed seed so every run uses the same texts.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SumberCp {
    Contact,
    Indri,
    Rekomendasi,
    DariPelanggan,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Peran {
    #[serde(rename = "nama_fastel")]
    Fastel,
    #[serde(rename = "nama_payment")]
    Payment,
    #[serde(rename = "nama_cp_verified")]
    CpVerified,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relasi {
    SuamiIstri,
    OrangTua,
    Anak,
    Pimpinan,
    Karyawan,
    #[serde(rename = "relasi_lain")]
    Lain,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PernyataanPj {
    TidakAda,
    DiAwal,
    SaatDitanya,
}

/// A complete `dm_verification` case record. Also the typed target of the
/// "serde floor" measurement.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseRecord {
    pub sumber_cp: SumberCp,
    pub status_verified: bool,
    pub nomor_cp: String,
    pub nomor_dihubungi: String,
    pub peran_penerima: Vec<Peran>,
    pub relasi_penerima: Relasi,
    pub cp_verified_atas_nama_payment: bool,
    pub pernyataan_pj: PernyataanPj,
    pub jumlah_konfirmasi: i64,
    pub bayar_bersama: bool,
    pub jawaban_verifikasi_benar: bool,
    pub penggunaan_kantor: bool,
    pub penerima_staf_kantor: bool,
    pub dispen_sudah_pernah: bool,
    pub minta_fastel_lain: bool,
    pub cp_fastel_lain_sama: bool,
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// An index in `0..weights.len()`, drawn with the given weights.
    fn pick(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut r = self.next() % total;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One random complete case; `serial` only shapes the (invented) numbers.
/// The number called is always the CP number itself: the three "nomor lebih /
/// kurang 1 angka" rules are outside the covered part.
pub fn random_case(rng: &mut Rng, serial: usize) -> CaseRecord {
    let sumber_cp = [
        SumberCp::Contact,
        SumberCp::Indri,
        SumberCp::Rekomendasi,
        SumberCp::DariPelanggan,
    ][rng.pick(&[5, 2, 2, 2])];
    let peran_penerima = [Peran::Fastel, Peran::Payment, Peran::CpVerified]
        .into_iter()
        .filter(|_| rng.chance(40))
        .collect();
    let relasi_penerima = [
        Relasi::SuamiIstri,
        Relasi::OrangTua,
        Relasi::Anak,
        Relasi::Pimpinan,
        Relasi::Karyawan,
        Relasi::Lain,
    ][rng.pick(&[3, 2, 2, 1, 1, 1])];
    let pernyataan_pj = [
        PernyataanPj::TidakAda,
        PernyataanPj::DiAwal,
        PernyataanPj::SaatDitanya,
    ][rng.pick(&[7, 1, 1])];
    let nomor = format!("{:012}", 1000 + serial);
    CaseRecord {
        sumber_cp,
        status_verified: rng.chance(80),
        nomor_cp: nomor.clone(),
        nomor_dihubungi: nomor,
        peran_penerima,
        relasi_penerima,
        cp_verified_atas_nama_payment: rng.chance(50),
        pernyataan_pj,
        jumlah_konfirmasi: rng.pick(&[4, 3, 3, 2, 1]) as i64,
        bayar_bersama: rng.chance(40),
        jawaban_verifikasi_benar: rng.chance(75),
        penggunaan_kantor: rng.chance(40),
        penerima_staf_kantor: rng.chance(40),
        dispen_sudah_pernah: rng.chance(50),
        minta_fastel_lain: rng.chance(40),
        cp_fastel_lain_sama: rng.chance(50),
    }
}
