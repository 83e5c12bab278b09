package dev.bulkhead.gui.internal;

import java.awt.Toolkit;
import java.awt.datatransfer.DataFlavor;
import java.awt.datatransfer.StringSelection;
import java.util.concurrent.CountDownLatch;

/**
 * A qube's clipboard user: {@code own TEXT} puts TEXT on the X CLIPBOARD and keeps serving it
 * until killed; {@code print} prints the CLIPBOARD's text (nothing if it has none) and ends.
 */
public final class ClipboardTool {
    private ClipboardTool() {
    }

    public static void main(String[] args) throws Exception {
        var clipboard = Toolkit.getDefaultToolkit().getSystemClipboard();
        if (args[0].equals("own")) {
            clipboard.setContents(new StringSelection(args[1]), null);
            System.out.println("owned");
            new CountDownLatch(1).await();
        } else if (clipboard.isDataFlavorAvailable(DataFlavor.stringFlavor)) {
            System.out.print(clipboard.getData(DataFlavor.stringFlavor));
        }
    }
}
