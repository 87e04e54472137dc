package dev.shardvault.vault; public final class VaultMain { public static void main(String[] a) {} }
